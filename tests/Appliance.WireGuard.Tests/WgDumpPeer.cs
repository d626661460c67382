namespace Appliance.WireGuard.Tests;

/// <summary>One peer line of <c>wg show IFACE dump</c>.</summary>
public sealed record WgDumpPeer(string PublicKey, string PresharedKey, string Endpoint, string AllowedIPs, long LatestHandshake, long Rx, long Tx, string Keepalive);
