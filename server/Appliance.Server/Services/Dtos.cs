using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;

namespace Appliance.Server.Services;

/// <summary>Maps stored records to the wire contracts (stored entities never leave the server as they are).</summary>
public static class Dtos
{
    public static NetworkDto ToDto(this NetworkRecord n, int nodeCount) =>
        new(n.Name, n.Ipv4Cidr.ToString(), n.Ipv6Cidr?.ToString(), n.ListenPort, n.Mtu, n.Keepalive, n.Version, nodeCount, n.CreatedAt, n.Punching);

    public static NetworkSettingsDto ToSettings(this NetworkRecord n) =>
        new(n.Name, n.Ipv4Cidr.ToString(), n.Ipv6Cidr?.ToString(), n.ListenPort, n.Mtu, n.Keepalive);

    public static EnrollmentKeyDto ToDto(this EnrollmentKeyRecord k, string? token = null) =>
        new(k.Id, k.Networks, k.UsesRemaining, k.UsesRemaining is null, k.ExpiresAt, k.Tags, k.CreatedAt, token);

    public static NodeDto ToDto(this NodeRecord n, NetworkRecord network, DateTimeOffset? onlineSince = null) =>
        new(n.Id, n.Network, n.Name, n.Hostname, n.PublicKey,
            NodeConfigBuilder.WithPrefix(n.Ipv4, network.Ipv4Cidr), n.Ipv6 is null || network.Ipv6Cidr is null ? null : NodeConfigBuilder.WithPrefix(n.Ipv6, network.Ipv6Cidr.Value),
            n.ListenPort, n.Endpoints, n.Os, n.Version, n.Tags, n.CreatedAt, n.LastSeen,
            Online: onlineSince is { } since && n.LastSeen is { } seen && seen >= since,
            InternetGateway: n.InternetGateway, Relay: n.Relay, MappedEndpoint: n.MappedEndpoint, NoRelay: n.NoRelay, NoPunch: n.NoPunch);

    public static IngressDto ToDto(this IngressRecord i, int extClientCount) => new(i.NodeId, i.Nat, i.Dns, extClientCount);

    public static EgressDto ToDto(this EgressRecord e) => new(e.NodeId, [.. e.Ranges.Select(r => r.ToString())], e.Nat);

    /// <summary>An ext client; its addresses are plain (the client's interface carries them as /32 and /128).</summary>
    public static ExtClientDto ToDto(this ExtClientRecord c, DateTimeOffset now) =>
        new(c.Id, c.Network, c.Name, c.Gateway, c.PublicKey, c.Ipv4?.ToString(), c.Ipv6?.ToString(), c.Enabled, c.ExpiresAt,
            c.IsActive(now), c.PrivateKey is not null, c.CreatedAt, c.RxBytes, c.TxBytes, c.LastHandshake);

    public static DnsEntryDto ToDto(this DnsEntryRecord d) => new(d.Id, d.Network, d.Name, d.Type, d.Value);
}
