using System.Collections.Concurrent;

namespace Appliance.Server.Metrics;

/// <summary>
/// The server's own counters that no store query can give: joins per network, the propagation latency of mesh changes
/// (a write's commit to its updates handed to the broker) and each gateway's DNS query count from its last report.
/// In memory, reset at restart (Prometheus counters may; rate() copes). Bounded by the networks and nodes that exist:
/// the scrape drops the entries of those that no longer do.
/// </summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<string, long> _joins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dnsQueries = new(StringComparer.Ordinal);

    /// <summary>Commit to publish, per change set that reached the publisher.</summary>
    public Histogram Propagation { get; } = new();

    public void Joined(string network) => _joins.AddOrUpdate(network, 1, (_, n) => n + 1);

    /// <summary>A node's DNS server answered <paramref name="total"/> queries since its agent started (from its report).</summary>
    public void DnsQueriesReported(string nodeId, long total) => _dnsQueries[nodeId] = Math.Max(0, total);

    public IReadOnlyDictionary<string, long> Joins => _joins;

    public IReadOnlyDictionary<string, long> DnsQueries => _dnsQueries;

    /// <summary>Drops what is kept of networks and nodes that no longer exist.</summary>
    public void Retain(IReadOnlySet<string> networks, IReadOnlySet<string> nodes)
    {
        foreach (var network in _joins.Keys.Where(n => !networks.Contains(n)))
        {
            _joins.TryRemove(network, out _);
        }
        foreach (var node in _dnsQueries.Keys.Where(n => !nodes.Contains(n)))
        {
            _dnsQueries.TryRemove(node, out _);
        }
    }
}
