using System.Net;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Store;

namespace Appliance.Server.Tests;

/// <summary>
/// One network's records, changed by random writes the way the store's mutators change them (a deleted node takes its
/// roles and ext clients along and frees the nodes routing through it), each write handing the change set the store
/// would: one version, every change once, the records as committed.
/// </summary>
internal sealed class MeshWorld
{
    private static readonly string[] Tags = ["office", "printer", "iot"];
    private static readonly string[] Selectors = ["*", "tag:office", "tag:printer", "tag:iot", "group:admins", "10.10.0.0/29", "192.168.1.0/24", "0.0.0.0/0", "fd10::/64", "10.10.200.0/24"];
    private static readonly string[] Ports = ["tcp:631", "tcp:22", "udp:53", "tcp:8000-8099", "icmp", "*", "tcp:*"];
    private static readonly string[] Ranges = ["192.168.1.0/24", "192.168.2.0/24", "172.16.0.0/16", "0.0.0.0/0", "::/0", "fd20::/64"];
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IngressRecord> _ingress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EgressRecord> _egress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ExtClientRecord> _clients = new(StringComparer.Ordinal);
    private List<DnsEntryRecord> _dns = [];
    private NetworkRecord _network = new("home", IPNetwork.Parse("10.10.0.0/16"), IPNetwork.Parse("fd10::/64"), 51821, 1420, 20, 1, DateTimeOffset.UnixEpoch)
    {
        Epoch = "e1",
    };
    private PolicyRecord? _policy;
    private int _serial;
    private Write? _write;

    /// <param name="policies">Writes also set, change and remove the network's access policy and nodes' tags.</param>
    public MeshWorld(Random random, int nodes, bool policies = false)
    {
        Random = random;
        Policies = policies;
        for (var i = 0; i < nodes; i++)
        {
            var node = NewNode();
            _nodes[node.Id] = node;
        }
    }

    public Random Random { get; }

    public bool Policies { get; }

    public long Version => _network.Version;

    public IReadOnlyList<string> NodeIds => [.. _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => n.Id)];

    /// <summary>The records as the store lists them (nodes and clients by name, roles by node id, entries by name).</summary>
    public NetworkState State() => new(
        _network, [.. _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)], [.. _ingress.Values.OrderBy(i => i.NodeId, StringComparer.Ordinal)],
        [.. _egress.Values.OrderBy(e => e.NodeId, StringComparer.Ordinal)], [.. _clients.Values.OrderBy(c => c.Name, StringComparer.Ordinal)], _dns,
        "home.mesh.internal", _policy);

    /// <summary>One write of one to three random mutations.</summary>
    public NetworkChangeSet RandomWrite()
    {
        _write = new Write();
        var mutations = Random.Next(1, 4);
        for (var i = 0; i < mutations; i++)
        {
            Mutate();
        }
        return Commit();
    }

    /// <summary>One write that changes one node's endpoint.</summary>
    public NetworkChangeSet UpdateNode(string id)
    {
        _write = new Write();
        SetNode(_nodes[id] with { Endpoints = [$"198.51.100.{Random.Next(1, 250)}"] });
        return Commit();
    }

    /// <summary>One write that changes one node's record as <paramref name="change"/> says.</summary>
    public NetworkChangeSet ChangeNode(string id, Func<NodeRecord, NodeRecord> change)
    {
        _write = new Write();
        SetNode(change(_nodes[id]));
        return Commit();
    }

    /// <summary>One write that sets the network's access policy (null: removes it).</summary>
    public NetworkChangeSet SetPolicy(string? text)
    {
        _write = new Write();
        _policy = text is null ? null : new PolicyRecord("home", text, (_policy?.Revision ?? 0) + 1, DateTimeOffset.UnixEpoch);
        _write.Mark(ChangeKind.Policy, string.Empty);
        return Commit();
    }

    private void Mutate()
    {
        var ids = NodeIds;
        var node = ids[Random.Next(ids.Count)];
        switch (Random.Next(Policies ? 15 : 12))
        {
            case 12:
                SetNode(_nodes[node] with { Tags = RandomTags() });
                break;
            case 13:
                _policy = new PolicyRecord("home", RandomPolicy(), (_policy?.Revision ?? 0) + 1, DateTimeOffset.UnixEpoch);
                _write!.Mark(ChangeKind.Policy, string.Empty);
                break;
            case 14 when _policy is not null && Random.Next(3) == 0:
                _policy = null;
                _write!.Mark(ChangeKind.Policy, string.Empty);
                break;
            case 0:
                var added = NewNode();
                SetNode(added);
                break;
            case 1:
                var n = _nodes[node];
                SetNode(Random.Next(5) switch
                {
                    0 => n with { ListenPort = Random.Next(51000, 52000) },
                    1 => n with { Endpoints = [$"198.51.100.{Random.Next(1, 250)}"] },
                    2 => n with { Name = $"renamed{++_serial}" },
                    // A relay under a policy is a peer of every paired node (issue #18): its flag moves peers and filters.
                    3 => n with { Relay = !n.Relay },
                    _ => n with { InternetGateway = Random.Next(2) == 0 ? null : ids[Random.Next(ids.Count)] },
                });
                break;
            case 2 when ids.Count > 3:
                DeleteNode(node);
                break;
            case 3:
                SetIngress(node, new IngressRecord(node, "home", Random.Next(2) == 0, [], DateTimeOffset.UnixEpoch));
                break;
            case 4:
                SetIngress(node, null);
                break;
            case 5:
                SetEgress(node, new EgressRecord(node, "home", [.. Ranges.Where(_ => Random.Next(3) == 0).Select(IPNetwork.Parse)], Random.Next(2) == 0, DateTimeOffset.UnixEpoch));
                break;
            case 6:
                SetEgress(node, null);
                break;
            case 7:
                var serial = ++_serial;
                SetClient(new ExtClientRecord($"ext-{serial}", "home", $"phone{serial}", node, $"key{serial}", null,
                    IPAddress.Parse($"10.10.200.{serial % 250}"), Random.Next(2) == 0 ? null : IPAddress.Parse($"fd10::c:{serial:x}"),
                    true, null, DateTimeOffset.UnixEpoch));
                break;
            case 8 when _clients.Count > 0:
                var c = _clients.Values.ElementAt(Random.Next(_clients.Count));
                SetClient(Random.Next(2) == 0 ? c with { Enabled = !c.Enabled } : c with { ExpiryPublished = true });
                break;
            case 9 when _clients.Count > 0:
                var gone = _clients.Values.ElementAt(Random.Next(_clients.Count));
                _clients.Remove(gone.Id);
                _write!.Mark(ChangeKind.ExtClient, gone.Id);
                break;
            case 10:
                var entry = new DnsEntryRecord($"dns-{++_serial}", "home", $"name{_serial}", "A", $"192.168.7.{_serial % 250}", DateTimeOffset.UnixEpoch);
                _dns = Random.Next(3) == 0 && _dns.Count > 0
                    ? [.. _dns.Where((_, i) => i != 0)]
                    : [.. _dns.Append(entry).OrderBy(d => d.Name, StringComparer.Ordinal).ThenBy(d => d.Type, StringComparer.Ordinal).ThenBy(d => d.Value, StringComparer.Ordinal)];
                _write!.Mark(ChangeKind.DnsEntries, string.Empty);
                break;
            default:
                SetNode(_nodes[node] with { Endpoints = [$"203.0.113.{Random.Next(1, 250)}"] });
                break;
        }
    }

    private NodeRecord NewNode()
    {
        var i = ++_serial;
        return new NodeRecord($"id{i:x4}", "home", $"node{i}", $"node{i}", $"pk{i}", IPAddress.Parse($"10.10.{i / 250}.{(i % 250) + 1}"),
            Random.Next(2) == 0 ? null : IPAddress.Parse($"fd10::{i:x}"), 51821, [$"192.0.2.{i % 250}"], "linux", "1", Policies ? RandomTags() : [], "hash", null,
            DateTimeOffset.UnixEpoch, null);
    }

    private List<string> RandomTags() => [.. Tags.Where(_ => Random.Next(3) == 0)];

    /// <summary>A random document of one to four rules over tags, a group, CIDRs and ports (names need not exist: a world is not checked).</summary>
    public string RandomPolicy()
    {
        string Pick(string[] from) => from[Random.Next(from.Length)];
        string List(string[] from, int max) => string.Join(", ", Enumerable.Range(0, Random.Next(1, max + 1)).Select(_ => $"\"{Pick(from)}\"").Distinct());
        var rules = Enumerable.Range(0, Random.Next(1, 5)).Select(_ =>
            $"    {{ \"from\": [{List(Selectors, 2)}], \"to\": [{List(Selectors, 2)}], \"ports\": [{List(Ports, 2)}] }},");
        return $$"""
            // a random policy
            { "groups": { "group:admins": ["tag:office", "node:node{{Random.Next(1, 8)}}"] },
              "rules": [
            {{string.Join("\n", rules)}}
              ] }
            """;
    }

    private void SetNode(NodeRecord node)
    {
        _nodes[node.Id] = node;
        _write!.Mark(ChangeKind.Node, node.Id);
    }

    private void SetIngress(string node, IngressRecord? role)
    {
        if (role is null ? _ingress.Remove(node) : (_ingress[node] = role) is not null)
        {
            _write!.Mark(ChangeKind.Ingress, node);
        }
    }

    private void SetEgress(string node, EgressRecord? role)
    {
        if (role is null ? _egress.Remove(node) : (_egress[node] = role) is not null)
        {
            _write!.Mark(ChangeKind.Egress, node);
        }
    }

    private void SetClient(ExtClientRecord client)
    {
        _clients[client.Id] = client;
        _write!.Mark(ChangeKind.ExtClient, client.Id);
    }

    // As SqlSession.DeleteNode: its clients, its roles, the nodes that routed through it, then the node.
    private void DeleteNode(string id)
    {
        foreach (var c in _clients.Values.Where(c => c.Gateway == id).ToList())
        {
            _clients.Remove(c.Id);
            _write!.Mark(ChangeKind.ExtClient, c.Id);
        }
        SetIngress(id, null);
        SetEgress(id, null);
        foreach (var n in _nodes.Values.Where(n => n.InternetGateway == id).ToList())
        {
            SetNode(n with { InternetGateway = null });
        }
        _nodes.Remove(id);
        _write!.Mark(ChangeKind.Node, id);
    }

    private NetworkChangeSet Commit()
    {
        var write = _write!;
        _write = null;
        _network = _network with { Version = _network.Version + 1 };
        return new NetworkChangeSet
        {
            Network = _network.Name,
            Version = _network.Version,
            Settings = _network,
            Changes = write.Changes,
            Nodes = Committed(write, ChangeKind.Node, _nodes),
            Ingress = Committed(write, ChangeKind.Ingress, _ingress),
            Egress = Committed(write, ChangeKind.Egress, _egress),
            ExtClients = Committed(write, ChangeKind.ExtClient, _clients),
            DnsEntries = write.Changes.Any(c => c.Kind == ChangeKind.DnsEntries) ? _dns : null,
            Policy = _policy,
        };
    }

    private static Dictionary<string, T?> Committed<T>(Write write, ChangeKind kind, Dictionary<string, T> records)
        where T : class =>
        write.Changes.Where(c => c.Kind == kind).ToDictionary(c => c.Id, c => records.GetValueOrDefault(c.Id), StringComparer.Ordinal);

    private sealed class Write
    {
        public List<StoreChange> Changes { get; } = [];

        public void Mark(ChangeKind kind, string id)
        {
            var change = new StoreChange(kind, id);
            if (!Changes.Contains(change))
            {
                Changes.Add(change);
            }
        }
    }
}
