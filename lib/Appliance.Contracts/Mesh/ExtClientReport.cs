namespace Appliance.Contracts.Mesh;

/// <summary>What an ingress gateway reports per ext client: transfer counters and the last handshake, from WireGuard.</summary>
public sealed record ExtClientReport(string Id, long RxBytes, long TxBytes, DateTimeOffset? LastHandshake);
