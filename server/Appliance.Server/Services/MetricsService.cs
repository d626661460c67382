using Appliance.Broker;
using Appliance.Server.Configuration;
using Appliance.Server.Metrics;
using Appliance.Server.Mqtt;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// GET /metrics: the server's state and counters in the Prometheus text format 0.0.4. Nodes per network online and
/// offline (last seen within <c>OfflineAfterSeconds</c>), network versions, joins, the commit-to-publish latency of
/// mesh changes, the embedded broker's connections, messages and drops, the DNS queries gateways report, and where a
/// change's CPU goes, stage by stage (<see cref="ChangeStageCounters"/>, and the embedded broker's writes).
/// </summary>
public sealed class MetricsService(IApplianceStore store, ServerOptions options, TimeProvider clock, ServerMetrics metrics, MqttSettings mqtt, BrokerHost broker,
    ChangeStageCounters stages)
{
    /// <summary>The stage label of the embedded broker's write loops (<see cref="Broker.MqttBrokerMetrics.Writes"/>).</summary>
    public const string BrokerWritesStage = "broker_writes";

    public async Task<string> ScrapeAsync(CancellationToken ct)
    {
        // The collector's figures first: the scrape's own read of every node (O(N) bytes) must not count in them.
        var gc = (Pause: GC.GetTotalPauseDuration(), Allocated: GC.GetTotalAllocatedBytes(),
            Collections: Enumerable.Range(0, GC.MaxGeneration + 1).Select(GC.CollectionCount).ToArray());
        var since = clock.GetUtcNow() - options.OfflineAfter;
        var (networks, nodes) = await store.ReadAsync(s => (s.ListNetworks(), s.ListNodes(null)), ct);
        metrics.Retain(networks.Select(n => n.Name).ToHashSet(StringComparer.Ordinal), nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal));
        var text = new PrometheusText();

        text.Family("appliance_nodes", "gauge", "Nodes per network, online (seen within OfflineAfterSeconds) or offline.");
        foreach (var network in networks)
        {
            var members = nodes.Where(n => n.Network == network.Name).ToList();
            var online = members.Count(n => n.LastSeen is { } seen && seen >= since);
            text.Sample("appliance_nodes", online, ("network", network.Name), ("state", "online"));
            text.Sample("appliance_nodes", members.Count - online, ("network", network.Name), ("state", "offline"));
        }

        text.Family("appliance_network_version", "gauge", "Each network's version: it moves once per write that changes what members see.");
        foreach (var network in networks)
        {
            text.Sample("appliance_network_version", network.Version, ("network", network.Name));
        }

        text.Family("appliance_joins_total", "counter", "Nodes that joined each network since the server started.");
        foreach (var network in networks)
        {
            text.Sample("appliance_joins_total", metrics.Joins.GetValueOrDefault(network.Name), ("network", network.Name));
        }

        text.Family("appliance_propagation_seconds", "histogram", "From a change's commit to its updates handed to the broker.");
        text.Histogram("appliance_propagation_seconds", metrics.Propagation.Snapshot());

        if (!mqtt.UsesMosquitto && broker.Enabled)
        {
            var b = broker.Broker.Metrics;
            text.Family("appliance_broker_connections", "gauge", "Clients connected to the embedded MQTT broker now.")
                .Sample("appliance_broker_connections", b.ConnectionsCurrent);
            text.Family("appliance_broker_connections_accepted_total", "counter", "Connections the embedded broker accepted.")
                .Sample("appliance_broker_connections_accepted_total", b.ConnectionsAccepted);
            text.Family("appliance_broker_connections_refused_total", "counter", "Connections the embedded broker refused (limits, authentication).")
                .Sample("appliance_broker_connections_refused_total", b.ConnectionsRefused);
            text.Family("appliance_broker_messages_received_total", "counter", "PUBLISH messages the embedded broker received.")
                .Sample("appliance_broker_messages_received_total", b.MessagesReceived);
            text.Family("appliance_broker_messages_delivered_total", "counter", "Messages the embedded broker delivered to subscribers.")
                .Sample("appliance_broker_messages_delivered_total", b.MessagesDelivered);
            text.Family("appliance_broker_messages_dropped_total", "counter", "Messages the embedded broker dropped, by reason.")
                .Sample("appliance_broker_messages_dropped_total", b.QueuedMessagesDropped, ("reason", "queue_full"))
                .Sample("appliance_broker_messages_dropped_total", b.SlowConsumerDrops, ("reason", "slow_consumer"))
                .Sample("appliance_broker_messages_dropped_total", b.OversizeDrops, ("reason", "oversize"));
        }

        WriteStages(text, gc.Pause, gc.Allocated, gc.Collections);

        text.Family("appliance_gateway_dns_queries_total", "counter", "DNS queries each gateway's DNS server received, as its agent last reported (since the agent started).");
        foreach (var node in nodes)
        {
            if (metrics.DnsQueries.TryGetValue(node.Id, out var queries))
            {
                text.Sample("appliance_gateway_dns_queries_total", queries, ("network", node.Network), ("node", node.Name));
            }
        }
        return text.ToString();
    }

    // Per stage: runs, wall seconds, and CPU seconds of the runs that ended on the thread they began on (cpu_runs).
    private void WriteStages(PrometheusText text, TimeSpan gcPause, long allocated, int[] collections)
    {
        var all = Enum.GetValues<ChangeStage>().Select(s => (Label: ChangeStageCounters.Label(s), Counter: stages[s])).ToList();
        if (!mqtt.UsesMosquitto && broker.Enabled)
        {
            all.Add((BrokerWritesStage, broker.Broker.Metrics.Writes));
        }
        // The collector's share: a change's garbage is collected on whichever thread allocates next, in no stage.
        text.Family("appliance_gc_pause_seconds_total", "counter", "Time the runtime's garbage collector paused the process.")
            .Sample("appliance_gc_pause_seconds_total", gcPause.TotalSeconds);
        text.Family("appliance_gc_allocated_bytes_total", "counter", "Bytes the process allocated on the managed heap.")
            .Sample("appliance_gc_allocated_bytes_total", allocated);
        text.Family("appliance_gc_collections_total", "counter", "Garbage collections, by generation (a gen2 collection counts in gen0 and gen1 too).");
        for (var generation = 0; generation < collections.Length; generation++)
        {
            text.Sample("appliance_gc_collections_total", collections[generation], ("generation", generation.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        PerStage("appliance_stage_runs_total", "Runs of each stage of a change (join_request encloses store_write; broker_writes: one per connection wake-up).", c => c.Runs);
        PerStage("appliance_stage_wall_seconds_total", "Wall time of each stage's runs.", c => c.Wall.TotalSeconds);
        PerStage("appliance_stage_cpu_runs_total", "Runs of each stage whose CPU time was measured (they ended on the thread they began on).", c => c.CpuRuns);
        PerStage("appliance_stage_cpu_seconds_total", "CPU time (the thread's CPU clock) of each stage's measured runs.", c => c.Cpu.TotalSeconds);
        PerStage("appliance_stage_allocated_bytes_total", "Managed heap bytes each stage's measured runs allocated.", c => c.AllocatedBytes);

        void PerStage(string name, string help, Func<StageCounter, double> value)
        {
            text.Family(name, "counter", help);
            foreach (var (label, counter) in all)
            {
                text.Sample(name, value(counter), ("stage", label));
            }
        }
    }
}
