namespace Appliance.Server.Domain;

/// <summary>
/// A node's ingress role: plain WireGuard clients (ext clients) connect to it. <see cref="Nat"/> masquerades their
/// traffic into the mesh; <see cref="Dns"/> are the DNS servers written into their configs (empty: the gateway itself).
/// </summary>
public sealed record IngressRecord(string NodeId, string Network, bool Nat, IReadOnlyList<string> Dns, DateTimeOffset CreatedAt);
