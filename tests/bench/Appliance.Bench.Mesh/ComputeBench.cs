using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Store;

namespace Appliance.Bench.Mesh;

/// <summary>
/// The server's computation per change alone, in this process with no store, bus or agents: a network of N members
/// (a few gateways with ext clients among them) as a <see cref="NetworkView"/>, then change sets of the kinds the API
/// makes (a node joins, a node's endpoint moves, a node leaves, an egress role is set, an ext client is added), each
/// applied the way the publisher applies it (<see cref="NetworkView.TryApply"/>, the peer changes, the members with
/// their own delta, the network delta). For comparison, what the publisher did per change before: build the whole
/// view again from the records and diff it against the last (without the store read it also made).
/// </summary>
public static class ComputeBench
{
    private const string Network = "bench";

    // Changes made first and not counted: the JIT compiles the paths they take, and tiers them up.
    private const int WarmUp = 500;
    private static readonly string[] Kinds = ["node-joined", "node-endpoint", "node-left", "egress-set", "ext-client-added"];

    public static void Run(int n, int changes)
    {
        var network = new NetworkRecord(Network, IPNetwork.Parse("10.64.0.0/10"), null, 51821, 1420, 20, 1, DateTimeOffset.UnixEpoch) { Epoch = "e" };
        var nodes = Enumerable.Range(0, n).Select(i => Node(i)).ToList();
        var gateways = nodes.Take(5).ToList();
        var ingress = gateways.Select(g => new IngressRecord(g.Id, Network, false, [], DateTimeOffset.UnixEpoch)).ToList();
        var egress = gateways.Take(2).Select((g, i) => new EgressRecord(g.Id, Network, [IPNetwork.Parse($"192.168.{i}.0/24")], true, DateTimeOffset.UnixEpoch)).ToList();
        var clients = Enumerable.Range(0, 20).Select(i => Client(i, gateways[i % gateways.Count].Id)).ToList();
        var state = new NetworkState(network, nodes, ingress, egress, clients, [], Network);
        var buildWatch = Stopwatch.StartNew();
        var view = NetworkView.Build(state);
        var buildMs = buildWatch.Elapsed.TotalMilliseconds;

        // The records as they stand, to rebuild the whole view from (the old way) after each change.
        var records = new Dictionary<string, NodeRecord>(nodes.ToDictionary(x => x.Id, StringComparer.Ordinal), StringComparer.Ordinal);
        var egressNow = egress.ToDictionary(e => e.NodeId, StringComparer.Ordinal);
        var clientsNow = clients.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var version = network.Version;
        var next = n;
        var joinedIds = new Queue<string>();
        var micros = new List<double>(changes);
        var byKind = Kinds.ToDictionary(k => k, _ => new List<double>());
        var sealMicros = new List<double>(changes);
        var fullMs = new List<double>();
        var noGcMicros = new List<double>(changes);
        var withGc = 0;
        var gcPauseUs = 0.0;
        var key = Ed25519.GeneratePrivateKey();
        for (var k = 0; k < WarmUp + changes; k++)
        {
            version++;
            var settings = network with { Version = version };
            NetworkChangeSet set;
            switch (k % 5)
            {
                case 0:
                    var joined = Node(next++);
                    records[joined.Id] = joined;
                    joinedIds.Enqueue(joined.Id);
                    set = Set(settings, new StoreChange(ChangeKind.Node, joined.Id)) with { Nodes = Map(joined.Id, joined) };
                    break;
                case 1:
                    var moved = records[nodes[(k * 7919) % n].Id];
                    moved = moved with { Endpoints = [$"198.51.100.{k % 250}"] };
                    records[moved.Id] = moved;
                    set = Set(settings, new StoreChange(ChangeKind.Node, moved.Id)) with { Nodes = Map(moved.Id, moved) };
                    break;
                case 2:
                    var left = joinedIds.Dequeue();
                    records.Remove(left);
                    set = Set(settings, new StoreChange(ChangeKind.Node, left)) with { Nodes = Map<NodeRecord>(left, null) };
                    break;
                case 3:
                    var gw = gateways[k % 2].Id;
                    var role = new EgressRecord(gw, Network, [IPNetwork.Parse($"172.{16 + (k % 8)}.0.0/16")], true, DateTimeOffset.UnixEpoch);
                    egressNow[gw] = role;
                    set = Set(settings, new StoreChange(ChangeKind.Egress, gw)) with { Egress = Map(gw, role) };
                    break;
                default:
                    var client = Client(1000 + k, gateways[k % gateways.Count].Id);
                    clientsNow[client.Id] = client;
                    set = Set(settings, new StoreChange(ChangeKind.ExtClient, client.Id)) with { ExtClients = Map(client.Id, client) };
                    break;
            }
            var collections = GC.CollectionCount(0);
            var paused = GC.GetTotalPauseDuration();
            var watch = Stopwatch.StartNew();
            var step = new NetworkViewStep(view);
            if (!view.TryApply(set, step))
            {
                throw new InvalidOperationException($"change {k} was not applied");
            }
            var peers = step.PeerChanges(view);
            var own = step.OwnChanged(view);
            var shared = view.NetworkDelta(step, peers, own, DateTimeOffset.UnixEpoch);
            var ownDeltas = own.Select(m => view.MemberDelta(m, step, peers, DateTimeOffset.UnixEpoch)).ToList();
            var computed = watch.Elapsed.TotalMicroseconds;
            var collected = GC.CollectionCount(0) != collections;
            var pausedUs = (GC.GetTotalPauseDuration() - paused).TotalMicroseconds;
            // Serialized and signed once for every member (and once per member with its own delta).
            watch.Restart();
            foreach (var update in ownDeltas.Append(shared))
            {
                SignedEnvelope.Seal(key, JsonSerializer.SerializeToUtf8Bytes(update, ApplianceJsonContext.Default.MeshUpdate));
            }
            var sealedIn = watch.Elapsed.TotalMicroseconds;
            if (k < WarmUp)
            {
                continue;
            }
            micros.Add(computed);
            byKind[Kinds[k % 5]].Add(computed);
            sealMicros.Add(sealedIn);
            if (collected)
            {
                // A collection ran inside this change: its pause is the collector's (the heap holds the N-member
                // view), not the change's; counted apart.
                withGc++;
                gcPauseUs += pausedUs;
            }
            else
            {
                noGcMicros.Add(computed);
            }
        }
        // The old way, after the measured changes (its garbage would land in them): the whole view built again from
        // the records, and diffed against the current one (O(N)).
        var final = network with { Version = version };
        for (var r = 0; r < 20; r++)
        {
            var watch = Stopwatch.StartNew();
            var rebuilt = NetworkView.Build(new NetworkState(final, [.. records.Values], ingress, [.. egressNow.Values], [.. clientsNow.Values], [], Network), view);
            NetworkViewStep.Between(view, rebuilt).PeerChanges(rebuilt);
            fullMs.Add(watch.Elapsed.TotalMilliseconds);
        }
        micros.Sort();
        sealMicros.Sort();
        noGcMicros.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "mesh/compute-per-change",
            n,
            changes,
            p50_us = Math.Round(Pct(micros, 50), 1),
            p90_us = Math.Round(Pct(micros, 90), 1),
            p99_us = Math.Round(Pct(micros, 99), 1),
            max_us = Math.Round(micros[^1], 1),
            mean_us = Math.Round(micros.Average(), 1),
            goal = "<= 10 ms",
            p99_us_no_gc = Math.Round(Pct(noGcMicros, 99), 1),
            max_us_no_gc = Math.Round(noGcMicros[^1], 1),
            changes_with_a_gc = withGc,
            gc_pause_us_mean_in_those = withGc == 0 ? 0 : Math.Round(gcPauseUs / withGc, 1),
            seal_p50_us = Math.Round(Pct(sealMicros, 50), 1),
            full_rebuild_and_diff_ms_mean = Math.Round(fullMs.Average(), 2),
            first_build_ms = Math.Round(buildMs, 1),
            max_us_by_kind = byKind.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value.Max(), 1)),
        }));
    }

    private static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    private static NetworkChangeSet Set(NetworkRecord settings, StoreChange change) =>
        new() { Network = Network, Version = settings.Version, Settings = settings, Changes = [change] };

    private static Dictionary<string, T?> Map<T>(string id, T? record)
        where T : class => new(StringComparer.Ordinal) { [id] = record };

    private static NodeRecord Node(int i) => new(
        "n" + i.ToString("x6", System.Globalization.CultureInfo.InvariantCulture), Network, $"sim{i}", $"sim{i}",
        Convert.ToBase64String(BitConverter.GetBytes((long)i).Concat(new byte[24]).ToArray()),
        new IPAddress([10, (byte)(64 + (i >> 16)), (byte)(i >> 8), (byte)i]), null, 51821, ["127.0.0.1"], "linux", "1", [], "hash", null, DateTimeOffset.UnixEpoch, null);

    private static ExtClientRecord Client(int i, string gateway) => new(
        $"ext-{i}", Network, $"phone{i}", gateway, $"key{i}", null, new IPAddress([10, 127, (byte)(i >> 8), (byte)i]), null, true, null, DateTimeOffset.UnixEpoch);
}
