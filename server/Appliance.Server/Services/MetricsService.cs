using Appliance.Server.Configuration;
using Appliance.Server.Metrics;
using Appliance.Server.Mqtt;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// GET /metrics: the server's state and counters in the Prometheus text format 0.0.4. Nodes per network online and
/// offline (last seen within <c>OfflineAfterSeconds</c>), network versions, joins, the commit-to-publish latency of
/// mesh changes, the embedded broker's connections, messages and drops, and the DNS queries gateways report.
/// </summary>
public sealed class MetricsService(IApplianceStore store, ServerOptions options, TimeProvider clock, ServerMetrics metrics, MqttSettings mqtt, BrokerHost broker)
{
    public async Task<string> ScrapeAsync(CancellationToken ct)
    {
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
}
