using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Everything one network's desired state is computed from, read in one store session: the network, its nodes,
/// their gateway roles, ext clients and custom DNS entries, and the zone. No clock: the state at one
/// network version is always the same.
/// </summary>
public sealed class NetworkState
{
    public NetworkState(
        NetworkRecord network,
        IReadOnlyList<NodeRecord> nodes,
        IReadOnlyList<IngressRecord> ingress,
        IReadOnlyList<EgressRecord> egress,
        IReadOnlyList<ExtClientRecord> extClients,
        IReadOnlyList<DnsEntryRecord> dnsEntries,
        string zone)
    {
        Network = network;
        Nodes = nodes;
        Ingress = ingress.ToDictionary(i => i.NodeId, StringComparer.Ordinal);
        Egress = egress.ToDictionary(e => e.NodeId, StringComparer.Ordinal);
        ExtClients = extClients;
        ClientsByGateway = extClients.GroupBy(c => c.Gateway, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ExtClientRecord>)[.. g.OrderBy(c => c.Name, StringComparer.Ordinal)], StringComparer.Ordinal);
        DnsEntries = dnsEntries;
        Zone = zone;
    }

    public NetworkRecord Network { get; }
    public IReadOnlyList<NodeRecord> Nodes { get; }
    public IReadOnlyDictionary<string, IngressRecord> Ingress { get; }
    public IReadOnlyDictionary<string, EgressRecord> Egress { get; }
    public IReadOnlyList<ExtClientRecord> ExtClients { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<ExtClientRecord>> ClientsByGateway { get; }
    public IReadOnlyList<DnsEntryRecord> DnsEntries { get; }
    public string Zone { get; }

    public IReadOnlyList<ExtClientRecord> ClientsOf(string gatewayId) => ClientsByGateway.TryGetValue(gatewayId, out var list) ? list : [];

    /// <summary>Reads the whole state of <paramref name="network"/> in the caller's session.</summary>
    public static NetworkState Load(IStoreSession s, NetworkRecord network, string? dnsSuffix) => new(
        network, s.ListNodes(network.Name), s.ListIngress(network.Name), s.ListEgress(network.Name),
        s.ListExtClients(network.Name), s.ListDnsEntries(network.Name), ZoneOf(network.Name, dnsSuffix));

    /// <summary>A network of plain nodes: no gateway roles, ext clients or custom entries.</summary>
    public static NetworkState Plain(NetworkRecord network, IReadOnlyList<NodeRecord> nodes) =>
        new(network, nodes, [], [], [], [], network.Name);

    /// <summary>The zone names live in: <c>&lt;network&gt;</c>, or <c>&lt;network&gt;.&lt;suffix&gt;</c>.</summary>
    public static string ZoneOf(string network, string? suffix) => string.IsNullOrEmpty(suffix) ? network : $"{network}.{suffix}";
}
