using System.Net;

namespace Appliance.Server.Domain;

/// <summary>A stored mesh network. <see cref="Version"/> grows with every change that alters any member's desired state.</summary>
public sealed record NetworkRecord(
    string Name,
    IPNetwork Ipv4Cidr,
    IPNetwork? Ipv6Cidr,
    int ListenPort,
    int Mtu,
    int Keepalive,
    long Version,
    DateTimeOffset CreatedAt);
