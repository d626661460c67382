using System.Net;

namespace Appliance.Server.Domain;

/// <summary>
/// A stored mesh network. <see cref="Version"/> grows with every change that alters any member's desired state;
/// <see cref="Epoch"/> is random and fixed at creation, so a network created again under the same name counts its
/// versions in a new lineage.
/// </summary>
public sealed record NetworkRecord(
    string Name,
    IPNetwork Ipv4Cidr,
    IPNetwork? Ipv6Cidr,
    int ListenPort,
    int Mtu,
    int Keepalive,
    long Version,
    DateTimeOffset CreatedAt)
{
    public string Epoch { get; init; } = string.Empty;

    /// <summary>Hole punching between nodes behind NAT (issue #18): peers get each other's NAT-mapped addresses. On by default.</summary>
    public bool Punching { get; init; } = true;

    /// <summary>A new random epoch (128 bits, hex).</summary>
    public static string NewEpoch() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}
