using System.Net;

namespace Appliance.Dns.Zone;

/// <summary>
/// The desired content of one network's zone, as the agent knows it from the mesh state: the server is
/// authoritative for <see cref="Origin"/> (<c>&lt;network&gt;</c>, or <c>&lt;network&gt;.&lt;suffix&gt;</c>) and for
/// reverse names (PTR) of addresses in <see cref="MeshRanges"/>; those ranges may also ask questions (ACL).
/// </summary>
public sealed record DnsMeshZone
{
    public DnsMeshZone(string network, IReadOnlyList<DnsHostEntry> hosts, IReadOnlyList<IPNetwork> meshRanges, string? suffix = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(network);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(meshRanges);
        Network = network;
        Hosts = hosts;
        MeshRanges = meshRanges;
        Suffix = string.IsNullOrWhiteSpace(suffix) ? null : suffix.Trim('.');
    }

    public string Network { get; }

    /// <summary>An optional domain suffix: network "mesh" with suffix "mesh.internal" is zone mesh.mesh.internal.</summary>
    public string? Suffix { get; }

    public IReadOnlyList<DnsHostEntry> Hosts { get; }

    public IReadOnlyList<IPNetwork> MeshRanges { get; }

    /// <summary>TTL of the answers, in seconds.</summary>
    public uint Ttl { get; init; } = 60;

    /// <summary>TTL of NXDOMAIN/NODATA answers (the SOA minimum, RFC 2308), in seconds.</summary>
    public uint NegativeTtl { get; init; } = 30;

    public string Origin => DnsNameText.Normalize(Suffix is null ? Network : Network + "." + Suffix);
}
