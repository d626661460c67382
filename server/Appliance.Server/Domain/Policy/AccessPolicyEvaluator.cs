using System.Net;
using Appliance.Contracts.Mesh;

namespace Appliance.Server.Domain.Policy;

/// <summary>
/// Turns a network's policy and records into what each node must do (pure): its peers and its filter
/// (<see cref="Evaluate"/>); checks a document's names against the network (<see cref="CheckNames"/>) and runs its
/// tests (<see cref="RunTests"/>).
/// <para>
/// Peers: two nodes are peers when a rule connects them in either direction, directly or through a gateway: an ext
/// client stands for its ingress gateway and an egress range for its egress gateway, so a node allowed into an office
/// LAN keeps that LAN's gateway as a peer. A node always keeps the internet gateway it chose.
/// </para>
/// <para>
/// Filters: a node's inbound rules list the sources that may open connections to it: nodes' mesh addresses, ext
/// clients' addresses (the ingress gateway's own addresses for clients it masquerades: that is the source the node
/// sees), egress ranges; <c>*</c> as a source is any address. A gateway's forward rules let its own ext clients into
/// what their rules reach and let the rules' sources into its own ext clients and its egress ranges.
/// </para>
/// <para>
/// Relays (issue #18) are infrastructure: no rule names them. Every node with a peer gets every active relay as a peer
/// (a pair may have to meet through any of them), and each relay's forward rules are the rules' own sources and
/// destinations, so it carries between a pair exactly what the policy allows that pair and nothing for anyone else.
/// </para>
/// </summary>
public static class AccessPolicyEvaluator
{
    private static readonly string[] AnyAddress = ["0.0.0.0/0", "::/0"];

    /// <summary>The peers and filter of every node of <paramref name="world"/> under <paramref name="policy"/>.</summary>
    /// <param name="previous">The evaluation this one follows; its node list is shared when the same (for cheap comparisons).</param>
    public static PolicyEvaluation Evaluate(AccessPolicy policy, PolicyWorld world, PolicyEvaluation? previous = null)
    {
        var ctx = new Context(world, previous);
        var n = ctx.Order.Length;
        var words = (n + 63) >> 6;
        var peers = new ulong[n][];
        for (var i = 0; i < n; i++)
        {
            peers[i] = new ulong[words];
        }
        var inbound = new List<FilterRuleDto>?[n];
        var forward = new Dictionary<int, List<FilterRuleDto>>();
        foreach (var rule in policy.Rules)
        {
            var from = ctx.Resolve(rule.From, policy.Groups);
            var to = ctx.Resolve(rule.To, policy.Groups);
            Connect(peers, ctx.Reach(from), ctx.Reach(to));
            AddInbound(ctx, rule, from, to, inbound);
            AddForward(ctx, rule, from, to, forward);
            AddRelayForward(ctx, rule, from, to, forward);
        }
        for (var i = 0; i < n; i++)
        {
            peers[i][i >> 6] &= ~(1UL << (i & 63));
            if (ctx.Nodes[i].InternetGateway is { } gw && ctx.Index.TryGetValue(gw, out var g) && g != i)
            {
                peers[i][g >> 6] |= 1UL << (g & 63);
                peers[g][i >> 6] |= 1UL << (i & 63);
            }
        }
        ConnectRelays(ctx, peers);
        var filters = new Dictionary<string, MeshFilterDto>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            filters[ctx.Order[i]] = new MeshFilterDto
            {
                Inbound = Merge(inbound[i]),
                Forward = Merge(forward.GetValueOrDefault(i)),
            };
        }
        return new PolicyEvaluation(ctx.Order, ctx.Index, peers, filters);
    }

    /// <summary>
    /// The document's names checked against the network: every tag must be on some node or on some enrollment key
    /// of the network (<paramref name="knownTags"/>: a key's nodes get it when they join), every group defined, every
    /// node named present. Each problem names its line.
    /// </summary>
    public static List<string> CheckNames(AccessPolicy policy, IReadOnlySet<string> knownTags, IReadOnlySet<string> nodeNames)
    {
        var errors = new List<string>();
        foreach (var s in policy.AllSelectors.OrderBy(s => s.Line))
        {
            var problem = s.Kind switch
            {
                PolicySelectorKind.Tag when !knownTags.Contains(s.Value) => $"unknown tag \"{s}\": no node of the network and no enrollment key for it carries it",
                PolicySelectorKind.Group when !policy.Groups.ContainsKey(s.Value) => $"unknown group \"{s}\": define it under \"groups\"",
                PolicySelectorKind.Node when !nodeNames.Contains(s.Value) => $"unknown node \"{s}\": the network has no node of that name",
                _ => null,
            };
            if (problem is not null)
            {
                errors.Add($"line {s.Line}: {problem}");
            }
        }
        return errors;
    }

    /// <summary>
    /// Runs the document's tests: each port of a test's <c>accept</c> must be allowed from its <c>from</c> to its
    /// <c>to</c> by the rules (together), and no port of its <c>deny</c>. A rule counts for a test when each of its
    /// sides takes the test's side: <c>*</c> takes everything, a tag takes itself and the nodes carrying it, a node
    /// itself, a CIDR the CIDRs inside it and the nodes addressed inside it. One message per failing port.
    /// </summary>
    public static List<(PolicyTest Test, List<string> Failures)> RunTests(AccessPolicy policy, IReadOnlyCollection<NodeRecord> nodes)
    {
        var byName = nodes.GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var results = new List<(PolicyTest, List<string>)>(policy.Tests.Count);
        foreach (var test in policy.Tests)
        {
            var ports = policy.Rules
                .Where(r => Takes(r.From, test.From, policy, byName) && Takes(r.To, test.To, policy, byName))
                .SelectMany(r => r.Ports)
                .ToList();
            var failures = new List<string>();
            foreach (var q in test.Accept.Where(q => !CoveredByUnion(ports, q)))
            {
                failures.Add($"line {test.Line}: test from {test.From} to {test.To} failed: {q} is denied, the test expects it accepted");
            }
            foreach (var q in test.Deny.Where(q => ports.Any(p => p.Overlaps(q))))
            {
                failures.Add($"line {test.Line}: test from {test.From} to {test.To} failed: {q} is accepted, the test expects it denied");
            }
            results.Add((test, failures));
        }
        return results;
    }

    /// <summary>The test's port <paramref name="q"/> as the union of <paramref name="ports"/> covers it (ranges may add up).</summary>
    public static bool CoveredByUnion(IReadOnlyList<PolicyPort> ports, PolicyPort q)
    {
        if (ports.Any(p => p.Covers(q)))
        {
            return true;
        }
        if (!q.HasPorts)
        {
            return false;
        }
        var next = q.From;
        foreach (var p in ports.Where(p => p.Protocol == q.Protocol).OrderBy(p => p.From))
        {
            if (p.From > next)
            {
                break;
            }
            next = Math.Max(next, p.To + 1);
            if (next > q.To)
            {
                return true;
            }
        }
        return false;
    }

    private static bool Takes(IReadOnlyList<PolicySelector> side, PolicySelector p, AccessPolicy policy, Dictionary<string, NodeRecord> byName) =>
        side.Any(s => s.Kind == PolicySelectorKind.Group
            ? policy.Groups.TryGetValue(s.Value, out var members) && members.Any(m => Takes(m, p, byName))
            : Takes(s, p, byName));

    private static bool Takes(PolicySelector s, PolicySelector p, Dictionary<string, NodeRecord> byName)
    {
        var node = p.Kind == PolicySelectorKind.Node ? byName.GetValueOrDefault(p.Value) : null;
        return s.Kind switch
        {
            PolicySelectorKind.All => true,
            PolicySelectorKind.Tag => (p.Kind == PolicySelectorKind.Tag && p.Value == s.Value) || (node is not null && node.Tags.Contains(s.Value, StringComparer.Ordinal)),
            PolicySelectorKind.Node => p.Kind == PolicySelectorKind.Node && p.Value == s.Value,
            PolicySelectorKind.Cidr => (p.Kind == PolicySelectorKind.Cidr && p.Range.PrefixLength >= s.Range.PrefixLength && s.Range.Contains(p.Range.BaseAddress)) ||
                (node is not null && new[] { node.Ipv4, node.Ipv6 }.Any(a => a is not null && s.Range.Contains(a))),
            _ => false,
        };
    }

    // Every node of `a` becomes a peer of every node of `b`, and the other way (WireGuard needs both ends).
    private static void Connect(ulong[][] peers, ulong[] a, ulong[] b)
    {
        foreach (var i in Bits(a))
        {
            Or(peers[i], b);
        }
        foreach (var j in Bits(b))
        {
            Or(peers[j], a);
        }
    }

    private static void Or(ulong[] into, ulong[] bits)
    {
        for (var w = 0; w < into.Length; w++)
        {
            into[w] |= bits[w];
        }
    }

    private static IEnumerable<int> Bits(ulong[] bits)
    {
        for (var w = 0; w < bits.Length; w++)
        {
            var word = bits[w];
            while (word != 0)
            {
                yield return (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
    }

    // Every node that has a peer (a pair the policy connects, or its internet gateway) gets every active relay as a
    // peer, and the relay gets it: which relay a pair meets through is the agents' choice, made when punching fails.
    private static void ConnectRelays(Context ctx, ulong[][] peers)
    {
        var relays = ctx.Relays;
        if (relays.Count == 0)
        {
            return;
        }
        var paired = new List<int>();
        for (var i = 0; i < peers.Length; i++)
        {
            if (!relays.Contains(i) && peers[i].Any(w => w != 0))
            {
                paired.Add(i);
            }
        }
        foreach (var r in relays)
        {
            foreach (var i in paired)
            {
                peers[i][r >> 6] |= 1UL << (r & 63);
                peers[r][i >> 6] |= 1UL << (i & 63);
            }
        }
    }

    // A relay forwards in and out of its mesh interface what the rule allows: the rule's sources (as the relay sees
    // them) to everything its other side names. A pair no rule connects gets nothing through it.
    private static void AddRelayForward(Context ctx, PolicyRule rule, Side from, Side to, Dictionary<int, List<FilterRuleDto>> forward)
    {
        foreach (var r in ctx.Relays)
        {
            var sources = ctx.Sources(from, viewer: r);
            var destinations = ctx.Destinations(to);
            if (sources.Count == 0 || destinations.Count == 0)
            {
                continue;
            }
            if (!forward.TryGetValue(r, out var list))
            {
                forward[r] = list = [];
            }
            foreach (var port in rule.Ports)
            {
                var (pf, pt) = port.FilterPorts;
                list.Add(new FilterRuleDto(sources, destinations, port.Protocol, pf, pt));
            }
        }
    }

    // The receiving nodes of `to` may be opened by `from`'s sources.
    private static void AddInbound(Context ctx, PolicyRule rule, Side from, Side to, List<FilterRuleDto>?[] inbound)
    {
        if (to.Nodes.Count == 0)
        {
            return;
        }
        // One source list per rule, shared by every receiver: only a gateway whose masqueraded clients are sources sees
        // them with their own addresses (everyone else sees the gateway's).
        var sources = ctx.Sources(from, viewer: -1);
        var masquerading = from.Clients.Where(c => c.Masqueraded).Select(c => c.Gateway).ToHashSet();
        foreach (var (d, addresses) in to.Nodes)
        {
            var own = masquerading.Contains(d) ? ctx.Sources(from, viewer: d) : sources;
            if (own.Count == 0)
            {
                continue;
            }
            var destinations = addresses.Count == ctx.HostRoutes[d].Count ? (IReadOnlyList<string>)[] : addresses;
            var list = inbound[d] ??= [];
            foreach (var port in rule.Ports)
            {
                var (pf, pt) = port.FilterPorts;
                list.Add(new FilterRuleDto(own, destinations, port.Protocol, pf, pt));
            }
        }
    }

    // A gateway's forwarding: its own clients out to what `to` names, and `from`'s sources into its own clients and egress ranges.
    private static void AddForward(Context ctx, PolicyRule rule, Side from, Side to, Dictionary<int, List<FilterRuleDto>> forward)
    {
        foreach (var clients in from.Clients.GroupBy(c => c.Gateway))
        {
            var g = clients.Key;
            var sources = clients.SelectMany(c => c.Addresses).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var destinations = ctx.Destinations(to);
            Add(g, sources, destinations);
        }
        foreach (var clients in to.Clients.GroupBy(c => c.Gateway))
        {
            // The mesh (or another client) opening a connection to one of this gateway's clients.
            Add(clients.Key, ctx.Sources(from, viewer: clients.Key),
                [.. clients.SelectMany(c => c.Addresses).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        }
        foreach (var ranges in to.Ranges.GroupBy(r => r.Gateway))
        {
            var g = ranges.Key;
            var sources = ctx.Sources(from, viewer: g);
            Add(g, sources, [.. ranges.Select(r => r.Range.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        }

        void Add(int gateway, IReadOnlyList<string> sources, IReadOnlyList<string> destinations)
        {
            if (sources.Count == 0 || destinations.Count == 0)
            {
                return;
            }
            if (!forward.TryGetValue(gateway, out var list))
            {
                forward[gateway] = list = [];
            }
            foreach (var port in rule.Ports)
            {
                var (pf, pt) = port.FilterPorts;
                list.Add(new FilterRuleDto(sources, destinations, port.Protocol, pf, pt));
            }
        }
    }

    // Rules with the same destinations, protocol and ports become one, their sources united; ordered for a stable filter.
    private static IReadOnlyList<FilterRuleDto> Merge(List<FilterRuleDto>? rules)
    {
        if (rules is null || rules.Count == 0)
        {
            return [];
        }
        return [.. rules
            .GroupBy(r => (Dest: string.Join(',', r.Destinations), r.Protocol, r.PortFrom, r.PortTo))
            .Select(g => g.Count() == 1 ? g.First() : g.First() with
            {
                Sources = [.. g.SelectMany(r => r.Sources).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            })
            .OrderBy(r => r.Protocol, StringComparer.Ordinal).ThenBy(r => r.PortFrom).ThenBy(r => r.PortTo)
            .ThenBy(r => string.Join(',', r.Destinations), StringComparer.Ordinal)];
    }

    private sealed record ClientTarget(int Gateway, IReadOnlyList<string> Addresses, bool Masqueraded);

    private sealed record RangeTarget(int Gateway, IPNetwork Range, bool IsDefault);

    // What one side of a rule names, resolved against the network: nodes with the addresses named, ext clients, egress ranges.
    private sealed class Side(int words)
    {
        public bool All { get; set; }
        public ulong[] NodeBits { get; } = new ulong[words];
        public Dictionary<int, List<string>> Nodes { get; } = [];
        public List<ClientTarget> Clients { get; } = [];
        public List<RangeTarget> Ranges { get; } = [];
    }

    private sealed class Context
    {
        public Context(PolicyWorld world, PolicyEvaluation? previous)
        {
            Nodes = [.. world.Nodes.OrderBy(n => n.Id, StringComparer.Ordinal)];
            var order = Nodes.Select(n => n.Id).ToArray();
            Order = previous is not null && previous.Order.AsSpan().SequenceEqual(order) ? previous.Order : order;
            Index = new Dictionary<string, int>(Order.Length, StringComparer.Ordinal);
            for (var i = 0; i < Order.Length; i++)
            {
                Index[Order[i]] = i;
            }
            Words = (Order.Length + 63) >> 6;
            Relays = [.. Enumerable.Range(0, Nodes.Length).Where(i => Nodes[i].IsActiveRelay)];
            MeshRanges = world.Network.Ipv6Cidr is { } v6 ? [world.Network.Ipv4Cidr, v6] : [world.Network.Ipv4Cidr];
            HostRoutes = [.. Nodes.Select(n => Hosts(n.Ipv4, n.Ipv6))];
            foreach (var (i, node) in Nodes.Index())
            {
                foreach (var tag in node.Tags)
                {
                    if (!ByTag.TryGetValue(tag, out var list))
                    {
                        ByTag[tag] = list = [];
                    }
                    list.Add(i);
                }
                ByName.TryAdd(node.Name, i);
            }
            foreach (var c in world.ExtClients.Where(c => c.IsActiveInMesh).OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                if (Index.TryGetValue(c.Gateway, out var g) && world.Ingress.TryGetValue(c.Gateway, out var ingress))
                {
                    Clients.Add((c, g, ingress.Nat));
                }
            }
            foreach (var e in world.Egress.Values.OrderBy(e => e.NodeId, StringComparer.Ordinal))
            {
                if (Index.TryGetValue(e.NodeId, out var g))
                {
                    Ranges.AddRange(e.Ranges.Select(r => new RangeTarget(g, r, EgressRecord.IsDefaultRoute(r))));
                }
            }
        }

        public NodeRecord[] Nodes { get; }
        public string[] Order { get; }
        public Dictionary<string, int> Index { get; }
        public int Words { get; }
        public List<int> Relays { get; }
        public IPNetwork[] MeshRanges { get; }
        public List<string>[] HostRoutes { get; }
        public Dictionary<string, List<int>> ByTag { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> ByName { get; } = new(StringComparer.Ordinal);
        public List<(ExtClientRecord Client, int Gateway, bool Nat)> Clients { get; } = [];
        public List<RangeTarget> Ranges { get; } = [];

        public Side Resolve(IReadOnlyList<PolicySelector> selectors, IReadOnlyDictionary<string, IReadOnlyList<PolicySelector>> groups)
        {
            var side = new Side(Words);
            foreach (var s in selectors)
            {
                if (s.Kind == PolicySelectorKind.Group)
                {
                    foreach (var m in groups.GetValueOrDefault(s.Value) ?? [])
                    {
                        Add(side, m);
                    }
                }
                else
                {
                    Add(side, s);
                }
            }
            return side;
        }

        private void Add(Side side, PolicySelector s)
        {
            switch (s.Kind)
            {
                case PolicySelectorKind.All:
                    side.All = true;
                    for (var i = 0; i < Nodes.Length; i++)
                    {
                        AddNode(side, i, HostRoutes[i]);
                    }
                    foreach (var (c, g, nat) in Clients)
                    {
                        AddClient(side, c, g, nat, Hosts(c.Ipv4, c.Ipv6));
                    }
                    foreach (var r in Ranges)
                    {
                        AddRange(side, r);
                    }
                    break;
                case PolicySelectorKind.Tag:
                    foreach (var i in ByTag.GetValueOrDefault(s.Value) ?? [])
                    {
                        AddNode(side, i, HostRoutes[i]);
                    }
                    break;
                case PolicySelectorKind.Node:
                    if (ByName.TryGetValue(s.Value, out var named))
                    {
                        AddNode(side, named, HostRoutes[named]);
                    }
                    break;
                case PolicySelectorKind.Cidr:
                    for (var i = 0; i < Nodes.Length; i++)
                    {
                        var inside = Inside(s.Range, Nodes[i].Ipv4, Nodes[i].Ipv6);
                        if (inside.Count > 0)
                        {
                            AddNode(side, i, inside);
                        }
                    }
                    foreach (var (c, g, nat) in Clients)
                    {
                        var inside = Inside(s.Range, c.Ipv4, c.Ipv6);
                        if (inside.Count > 0)
                        {
                            AddClient(side, c, g, nat, inside);
                        }
                    }
                    foreach (var r in Ranges)
                    {
                        // CIDRs nest or are apart: the part of the egress range the selector names is the smaller one. Mesh
                        // addresses inside an internet gateway's 0.0.0.0/0 are reached directly, never through it.
                        var part = r.Range.PrefixLength >= s.Range.PrefixLength ? r.Range : s.Range;
                        if (Cidr.Overlap(r.Range, s.Range) && !MeshRanges.Any(m => m.PrefixLength <= part.PrefixLength && m.Contains(part.BaseAddress)))
                        {
                            AddRange(side, r with { Range = part });
                        }
                    }
                    break;
            }
        }

        private static void AddNode(Side side, int i, List<string> addresses)
        {
            side.NodeBits[i >> 6] |= 1UL << (i & 63);
            if (!side.Nodes.TryGetValue(i, out var list))
            {
                side.Nodes[i] = [.. addresses];
                return;
            }
            list.AddRange(addresses.Where(a => !list.Contains(a, StringComparer.Ordinal)));
        }

        private static void AddClient(Side side, ExtClientRecord c, int gateway, bool nat, List<string> addresses)
        {
            if (addresses.Count > 0 && !side.Clients.Any(t => t.Addresses.SequenceEqual(addresses)))
            {
                side.Clients.Add(new ClientTarget(gateway, addresses, nat));
            }
        }

        private static void AddRange(Side side, RangeTarget r)
        {
            if (!side.Ranges.Contains(r))
            {
                side.Ranges.Add(r);
            }
        }

        // The nodes a side's traffic comes from or goes to in the mesh: its nodes, the gateways of its clients and of
        // its site ranges (a default route is reached only by the nodes that chose that gateway, kept as peers anyway).
        public ulong[] Reach(Side side)
        {
            var bits = (ulong[])side.NodeBits.Clone();
            foreach (var g in side.Clients.Select(c => c.Gateway).Concat(side.Ranges.Where(r => !r.IsDefault).Select(r => r.Gateway)))
            {
                bits[g >> 6] |= 1UL << (g & 63);
            }
            return bits;
        }

        // The source addresses of a side as node `viewer` sees them (-1: any node but a gateway of the side's clients):
        // a masquerading gateway's clients arrive with the gateway's addresses, except at the gateway itself.
        public IReadOnlyList<string> Sources(Side side, int viewer)
        {
            if (side.All)
            {
                return AnyAddress;
            }
            var set = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (_, addresses) in side.Nodes)
            {
                set.UnionWith(addresses);
            }
            foreach (var c in side.Clients)
            {
                set.UnionWith(c.Masqueraded && c.Gateway != viewer ? HostRoutes[c.Gateway] : c.Addresses);
            }
            foreach (var r in side.Ranges)
            {
                set.Add(r.Range.ToString());
            }
            return [.. set];
        }

        // Where a side's traffic goes, as a gateway forwarding its clients' traffic sees it.
        public IReadOnlyList<string> Destinations(Side side)
        {
            if (side.All)
            {
                return AnyAddress;
            }
            var set = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (_, addresses) in side.Nodes)
            {
                set.UnionWith(addresses);
            }
            foreach (var c in side.Clients)
            {
                set.UnionWith(c.Addresses);
            }
            foreach (var r in side.Ranges)
            {
                set.Add(r.Range.ToString());
            }
            return [.. set];
        }

        private static List<string> Hosts(IPAddress? v4, IPAddress? v6)
        {
            var list = new List<string>(2);
            if (v4 is not null)
            {
                list.Add($"{v4}/32");
            }
            if (v6 is not null)
            {
                list.Add($"{v6}/128");
            }
            return list;
        }

        private static List<string> Inside(IPNetwork range, IPAddress? v4, IPAddress? v6) =>
            Hosts(v4 is not null && range.Contains(v4) ? v4 : null, v6 is not null && range.Contains(v6) ? v6 : null);
    }
}
