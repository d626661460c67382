using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.Server.Mesh;
using Appliance.Server.Store;

namespace Appliance.Bench.Mesh;

/// <summary>
/// Access policies (issue #19), the server's side: a network of N nodes carrying 1-2 of 20 tags under a policy of R
/// rules (tags, a group, CIDRs, ports). Measured: evaluating the policy for every node (peers and filter); a policy
/// change applied to the network's view as the publisher applies it, with every member's own peer changes and filter
/// (who gets a delta of its own, and its contents); and a tag change of one node the same way.
/// </summary>
public static class PolicyBench
{
    private const string Network = "bench";

    public static void Run(int n, int rules, int rounds)
    {
        var random = new Random(42);
        var network = new NetworkRecord(Network, IPNetwork.Parse("10.64.0.0/16"), null, 51821, 1420, 20, 1, DateTimeOffset.UnixEpoch) { Epoch = "e" };
        var nodes = Enumerable.Range(0, n).Select(i => Node(i, random)).ToList();
        var egress = new EgressRecord(nodes[0].Id, Network, [IPNetwork.Parse("192.168.0.0/24")], true, DateTimeOffset.UnixEpoch);
        var state = new NetworkState(network, nodes, [], [egress], [], [], Network);
        var documents = Enumerable.Range(0, rounds + 1).Select(_ => Document(rules, random)).ToList();
        var parsed = AccessPolicyParser.Parse(documents[0]);

        // Evaluation alone: every node's peers and filter, from the parsed document and the records.
        // Wall time and this process's CPU time: on a shared, overloaded machine the CPU time is the cost.
        var evalMs = new List<double>();
        var evalCpuMs = new List<double>();
        PolicyEvaluation? last = null;
        for (var r = 0; r < rounds; r++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            last = AccessPolicyEvaluator.Evaluate(parsed, state.PolicyWorld, last);
            evalMs.Add(watch.Elapsed.TotalMilliseconds);
            evalCpuMs.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
        }
        var peers = nodes.Select(x => last!.PeerCount(x.Id)).ToList();
        var inbound = nodes.Select(x => last!.FilterOf(x.Id)!.Inbound.Count).ToList();
        var sources = nodes.Select(x => last!.FilterOf(x.Id)!.Inbound.Sum(f => f.Sources.Count)).ToList();
        Emit(new
        {
            bench = "policy/evaluate-every-node",
            n,
            rules,
            p50_ms = Math.Round(Pct(evalMs, 50), 2),
            max_ms = Math.Round(evalMs.Max(), 2),
            cpu_p50_ms = Math.Round(Pct(evalCpuMs, 50), 1),
            peers_per_node_mean = Math.Round(peers.Average(), 1),
            inbound_rules_per_node_mean = Math.Round(inbound.Average(), 1),
            sources_per_node_mean = Math.Round(sources.Average(), 1),
        });

        // A policy change (a new document each round) and a tag change, through the view: apply the change set, then
        // what the publisher computes for every member (its share, its filter, the deltas of those on their own).
        var view = NetworkView.Build(new NetworkState(network, nodes, [], [egress], [], [], Network,
            new PolicyRecord(Network, documents[0], 1, DateTimeOffset.UnixEpoch)));
        var version = network.Version;
        var policyMs = new List<double>();
        var tagMs = new List<double>();
        var policyCpu = new List<double>();
        var tagCpu = new List<double>();
        var ownCounts = new List<int>();
        var tagOwnCounts = new List<int>();
        for (var r = 0; r < rounds; r++)
        {
            var settings = network with { Version = ++version };
            var set = new NetworkChangeSet
            {
                Network = Network, Version = version, Settings = settings, Changes = [new StoreChange(ChangeKind.Policy, string.Empty)],
                Policy = new PolicyRecord(Network, documents[r + 1], r + 2, DateTimeOffset.UnixEpoch),
            };
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            policyMs.Add(Step(view, set, ownCounts));
            policyCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);

            var node = nodes[random.Next(n)] with { Tags = [$"t{random.Next(20)}"] };
            var tagSet = new NetworkChangeSet
            {
                Network = Network, Version = ++version, Settings = network with { Version = version }, Changes = [new StoreChange(ChangeKind.Node, node.Id)],
                Nodes = new Dictionary<string, NodeRecord?>(StringComparer.Ordinal) { [node.Id] = node },
            };
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            tagMs.Add(Step(view, tagSet, tagOwnCounts));
            tagCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
        }
        Emit(new
        {
            bench = "policy/change-through-the-view",
            n,
            rules,
            rounds,
            policy_change_p50_ms = Math.Round(Pct(policyMs, 50), 1),
            policy_change_max_ms = Math.Round(policyMs.Max(), 1),
            policy_change_cpu_p50_ms = Math.Round(Pct(policyCpu, 50), 1),
            members_with_own_delta_mean = Math.Round(ownCounts.Average(), 0),
            tag_change_p50_ms = Math.Round(Pct(tagMs, 50), 1),
            tag_change_max_ms = Math.Round(tagMs.Max(), 1),
            tag_change_cpu_p50_ms = Math.Round(Pct(tagCpu, 50), 1),
            tag_change_members_with_own_delta_mean = Math.Round(tagOwnCounts.Average(), 0),
        });
    }

    // One change applied as MeshPublisher applies it, without signing or sending: milliseconds.
    private static double Step(NetworkView view, NetworkChangeSet set, List<int> ownCounts)
    {
        var watch = Stopwatch.StartNew();
        var step = new NetworkViewStep(view);
        if (!view.TryApply(set, step))
        {
            throw new InvalidOperationException("the change was not applied");
        }
        var peers = step.PeerChanges(view);
        var own = new HashSet<string>(step.OwnChanged(view), StringComparer.Ordinal);
        var theirs = step.OnTheirOwn(view, view.Members.Keys, peers, own);
        var deltas = own.Select(m => view.MemberDelta(m, step, theirs?.GetValueOrDefault(m) ?? peers, DateTimeOffset.UnixEpoch)).ToList();
        var ms = watch.Elapsed.TotalMilliseconds;
        ownCounts.Add(deltas.Count);
        return ms;
    }

    // R rules between random tags (a few with a group, a CIDR or '*'), 1-3 ports each.
    private static string Document(int rules, Random random)
    {
        string[] ports = ["tcp:22", "tcp:80", "tcp:443", "udp:53", "tcp:8000-8099", "icmp", "tcp:631", "udp:5353"];
        string Selector() => random.Next(20) switch
        {
            0 => "\"group:ops\"",
            1 => "\"10.64.1.0/24\"",
            2 => "\"192.168.0.0/24\"",
            _ => $"\"tag:t{random.Next(20)}\"",
        };
        var sb = new StringBuilder("{ \"groups\": { \"group:ops\": [\"tag:t0\", \"node:sim7\"] },\n  \"rules\": [\n");
        for (var i = 0; i < rules; i++)
        {
            sb.Append($"    {{ \"from\": [{Selector()}], \"to\": [{Selector()}], \"ports\": [{string.Join(", ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => $"\"{ports[random.Next(ports.Length)]}\"").Distinct())}] }},\n");
        }
        return sb.Append("  ] }\n").ToString();
    }

    private static NodeRecord Node(int i, Random random) => new(
        "n" + i.ToString("x6", System.Globalization.CultureInfo.InvariantCulture), Network, $"sim{i}", $"sim{i}",
        Convert.ToBase64String(BitConverter.GetBytes((long)i).Concat(new byte[24]).ToArray()),
        new IPAddress([10, 64, (byte)(i >> 8), (byte)i]), null, 51821, ["127.0.0.1"], "linux", "1",
        [.. Enumerable.Range(0, random.Next(1, 3)).Select(_ => $"t{random.Next(20)}").Distinct()], "hash", null, DateTimeOffset.UnixEpoch, null);

    private static double Pct(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }

    private static void Emit(object figure) => Console.WriteLine(JsonSerializer.Serialize(figure));
}
