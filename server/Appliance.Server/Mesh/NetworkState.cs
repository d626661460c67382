using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Everything one network's desired state is computed from: the network, its nodes, their gateway roles, ext clients
/// and custom DNS entries, and the zone. Read whole in one store session the first time it is needed
/// (<see cref="Load"/>), then kept current record by record from the committed change sets (the Set methods, used by
/// <see cref="NetworkView"/>). No clock: the state at one network version is always the same.
/// </summary>
public sealed class NetworkState
{
    private readonly Dictionary<string, NodeRecord> _nodes;
    private readonly Dictionary<string, IngressRecord> _ingress;
    private readonly Dictionary<string, EgressRecord> _egress;
    private readonly Dictionary<string, ExtClientRecord> _extClients;
    // Each gateway's clients ordered by name, as its ingress role and its peer's allowed IPs list them.
    private readonly Dictionary<string, List<ExtClientRecord>> _clientsByGateway = new(StringComparer.Ordinal);

    public NetworkState(
        NetworkRecord network,
        IReadOnlyList<NodeRecord> nodes,
        IReadOnlyList<IngressRecord> ingress,
        IReadOnlyList<EgressRecord> egress,
        IReadOnlyList<ExtClientRecord> extClients,
        IReadOnlyList<DnsEntryRecord> dnsEntries,
        string zone,
        PolicyRecord? policy = null)
    {
        Network = network;
        _nodes = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        _ingress = ingress.ToDictionary(i => i.NodeId, StringComparer.Ordinal);
        _egress = egress.ToDictionary(e => e.NodeId, StringComparer.Ordinal);
        _extClients = extClients.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var c in extClients)
        {
            AddToGateway(c);
        }
        DnsEntries = dnsEntries;
        Zone = zone;
        SetPolicy(policy);
    }

    public NetworkRecord Network { get; private set; }
    public IReadOnlyCollection<NodeRecord> Nodes => _nodes.Values;
    public IReadOnlyDictionary<string, NodeRecord> NodesById => _nodes;
    public IReadOnlyDictionary<string, IngressRecord> Ingress => _ingress;
    public IReadOnlyDictionary<string, EgressRecord> Egress => _egress;
    public IReadOnlyCollection<ExtClientRecord> ExtClients => _extClients.Values;
    public IReadOnlyList<DnsEntryRecord> DnsEntries { get; private set; }
    public string Zone { get; }

    /// <summary>The network's access policy as stored, or null (no policy: everything allowed).</summary>
    public PolicyRecord? Policy { get; private set; }

    /// <summary><see cref="Policy"/> parsed; null when there is none.</summary>
    public AccessPolicy? ParsedPolicy { get; private set; }

    /// <summary>The records a policy is evaluated against.</summary>
    public PolicyWorld PolicyWorld => new(Network, Nodes, Ingress, Egress, ExtClients);

    /// <summary>The gateway's ext clients, ordered by name.</summary>
    public IReadOnlyList<ExtClientRecord> ClientsOf(string gatewayId) => _clientsByGateway.TryGetValue(gatewayId, out var list) ? list : [];

    /// <summary>Reads the whole state of <paramref name="network"/> in the caller's session.</summary>
    public static NetworkState Load(IStoreSession s, NetworkRecord network, string? dnsSuffix) => new(
        network, s.ListNodes(network.Name), s.ListIngress(network.Name), s.ListEgress(network.Name),
        s.ListExtClients(network.Name), s.ListDnsEntries(network.Name), ZoneOf(network.Name, dnsSuffix), s.FindPolicy(network.Name));

    /// <summary>A network of plain nodes: no gateway roles, ext clients or custom entries.</summary>
    public static NetworkState Plain(NetworkRecord network, IReadOnlyList<NodeRecord> nodes) =>
        new(network, nodes, [], [], [], [], network.Name);

    /// <summary>The zone names live in: <c>&lt;network&gt;</c>, or <c>&lt;network&gt;.&lt;suffix&gt;</c>.</summary>
    public static string ZoneOf(string network, string? suffix) => string.IsNullOrEmpty(suffix) ? network : $"{network}.{suffix}";

    /// <summary>The network's record as committed (its version, and settings that did not change).</summary>
    public void SetNetwork(NetworkRecord network) => Network = network;

    /// <summary>Sets or (null) removes a node.</summary>
    public void SetNode(string id, NodeRecord? node) => Set(_nodes, id, node);

    /// <summary>Sets or (null) removes a node's ingress role.</summary>
    public void SetIngress(string nodeId, IngressRecord? ingress) => Set(_ingress, nodeId, ingress);

    /// <summary>Sets or (null) removes a node's egress role.</summary>
    public void SetEgress(string nodeId, EgressRecord? egress) => Set(_egress, nodeId, egress);

    /// <summary>Sets or (null) removes an ext client; returns the record it replaces (its gateway may be another).</summary>
    public ExtClientRecord? SetExtClient(string id, ExtClientRecord? client)
    {
        if (_extClients.Remove(id, out var old))
        {
            var list = _clientsByGateway[old.Gateway];
            list.RemoveAt(list.FindIndex(c => c.Id == id));
            if (list.Count == 0)
            {
                _clientsByGateway.Remove(old.Gateway);
            }
        }
        if (client is not null)
        {
            _extClients[id] = client;
            AddToGateway(client);
        }
        return old;
    }

    /// <summary>Replaces the network's custom DNS entries (the store hands the whole list when any changed).</summary>
    public void SetDnsEntries(IReadOnlyList<DnsEntryRecord> entries) => DnsEntries = entries;

    /// <summary>
    /// Sets or (null) removes the network's policy. A stored text that no longer parses (it was checked when it was
    /// set) counts as a policy without rules: closed, not open.
    /// </summary>
    public void SetPolicy(PolicyRecord? policy)
    {
        Policy = policy;
        ParsedPolicy = policy is null ? null : TryParse(policy.Text);
    }

    private static AccessPolicy TryParse(string text)
    {
        try
        {
            return AccessPolicyParser.Parse(text);
        }
        catch (DomainException)
        {
            return new AccessPolicy(new Dictionary<string, IReadOnlyList<PolicySelector>>(), [], []);
        }
    }

    private void AddToGateway(ExtClientRecord client)
    {
        if (!_clientsByGateway.TryGetValue(client.Gateway, out var list))
        {
            _clientsByGateway[client.Gateway] = list = [];
        }
        // Names are unique in a network (one zone): the ordinal position is the one a full load's name order gives.
        var at = list.FindIndex(c => string.CompareOrdinal(c.Name, client.Name) > 0);
        list.Insert(at < 0 ? list.Count : at, client);
    }

    private static void Set<T>(Dictionary<string, T> map, string id, T? value)
        where T : class
    {
        if (value is null)
        {
            map.Remove(id);
        }
        else
        {
            map[id] = value;
        }
    }
}
