using System.Net;
using Appliance.Agent.Nat;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.WireGuard;

namespace Appliance.Agent.Mesh;

/// <summary>
/// The per-peer path reports (see <see cref="MeshDaemon.PathReports"/>, which makes one of these per call), built into
/// one kept list, with the device observed through a kept <see cref="PeerObserver"/>, and a peer's report object (and
/// its endpoint's text) kept while nothing in it changed: the report loop keeps one and builds them every 5 s whether
/// or not a report goes out. Built anew each tick, they were ~8 KB/s of the idle agent's ~27 KB/s of garbage with 100
/// peers (dotnet-trace allocation ticks, issue #15). The list is valid until the next <see cref="Report"/>; one caller
/// at a time.
/// </summary>
internal sealed class PathReporter
{
    private static readonly IReadOnlyDictionary<string, PeerObservation> Nothing = new Dictionary<string, PeerObservation>();

    private readonly PeerObserver _observer = new();
    private readonly List<PeerPathReport> _reports = [];
    private readonly Dictionary<string, (PeerPathReport Report, IPEndPoint? Endpoint)> _last = new(StringComparer.Ordinal);

    public IReadOnlyList<PeerPathReport> Report(NodeConfigDto config, IReadOnlyDictionary<string, PeerPath>? paths, WgDevice? device, DateTimeOffset now)
    {
        var observed = device is null ? Nothing : _observer.Observe(config, device);
        _reports.Clear();
        foreach (var p in config.Peers)
        {
            var path = paths?.GetValueOrDefault(p.NodeId);
            var kind = path?.Kind switch
            {
                PeerPathKind.Direct => PeerPathReport.Direct,
                PeerPathKind.Relayed => PeerPathReport.Relayed,
                _ => PeerPathReport.Probing,
            };
            var via = kind == PeerPathReport.Relayed ? path!.Via : null;
            var inUse = observed.GetValueOrDefault(via ?? p.NodeId);
            long? age = inUse?.LastHandshake is { } hs ? (long)Math.Max(0, (now - hs).TotalSeconds) : null;
            var endpoint = inUse?.Endpoint;
            if (_last.TryGetValue(p.NodeId, out var last) && last.Report.Path == kind && last.Report.Via == via
                && last.Report.HandshakeAgeSeconds == age && Equals(last.Endpoint, endpoint))
            {
                _reports.Add(last.Report);
                continue;
            }
            var text = endpoint is null ? null : last.Report is not null && Equals(last.Endpoint, endpoint) ? last.Report.Endpoint : endpoint.ToString();
            var report = new PeerPathReport(p.NodeId, kind, via, text, age);
            _last[p.NodeId] = (report, endpoint);
            _reports.Add(report);
        }
        if (_last.Count > _reports.Count)
        {
            // Peers gone from the desired state are forgotten.
            foreach (var id in _last.Keys.ToList())
            {
                if (!config.Peers.Any(p => p.NodeId == id))
                {
                    _last.Remove(id);
                }
            }
        }
        return _reports;
    }
}
