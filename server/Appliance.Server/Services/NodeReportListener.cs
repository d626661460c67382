using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;

namespace Appliance.Server.Services;

/// <summary>
/// Reads the nodes' status reports off the mesh bus and records them, at most one per node per
/// <see cref="ReportWindow"/>: reports that arrive within a node's window wait, and only the latest of them is
/// recorded when it ends. A node whose endpoint flaps thousands of times costs the network one version (and one
/// delta to every member) per window, not one per flap.
/// </summary>
public sealed class NodeReportListener(IMeshBus bus, NodeService nodes, TimeProvider clock, ILogger<NodeReportListener> logger) : IHostedService
{
    /// <summary>How often one node's reports are recorded at most.</summary>
    public static readonly TimeSpan ReportWindow = TimeSpan.FromSeconds(5);

    // Nodes inside a window (recorded less than ReportWindow ago). A slot goes when its window ends with nothing
    // waiting, so the table holds only nodes that reported recently.
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (bus.Enabled)
        {
            _subscription = bus.Subscribe(MeshTopics.StatusFilter, m =>
            {
                if (MeshTopics.NodeOfReport(m.Topic) is not { } nodeId)
                {
                    return;
                }
                Contracts.Mesh.NodeReport? report;
                try
                {
                    report = JsonSerializer.Deserialize(m.Payload.Span, ApplianceJsonContext.Default.NodeReport);
                }
                catch (JsonException e)
                {
                    logger.LogWarning("node {Node} sent a malformed status report: {Error}", nodeId, e.Message);
                    return;
                }
                if (report is not null)
                {
                    Received(nodeId, report);
                }
            });
        }
        return Task.CompletedTask;
    }

    private void Received(string nodeId, Contracts.Mesh.NodeReport report)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(nodeId, out var slot))
            {
                // Inside the window: keep only the latest; the window's end records it.
                slot.Waiting = report;
                return;
            }
            slot = new Slot();
            _slots.Add(nodeId, slot);
            slot.Timer = clock.CreateTimer(_ => WindowEnded(nodeId), null, ReportWindow, Timeout.InfiniteTimeSpan);
        }
        _ = RecordAsync(nodeId, report);
    }

    private void WindowEnded(string nodeId)
    {
        Contracts.Mesh.NodeReport? waiting;
        lock (_lock)
        {
            if (!_slots.TryGetValue(nodeId, out var slot))
            {
                return;
            }
            waiting = slot.Waiting;
            slot.Waiting = null;
            if (waiting is null)
            {
                slot.Timer?.Dispose();
                _slots.Remove(nodeId);
                return;
            }
            // Recording the waiting report opens the node's next window.
            slot.Timer?.Change(ReportWindow, Timeout.InfiniteTimeSpan);
        }
        _ = RecordAsync(nodeId, waiting);
    }

    private async Task RecordAsync(string nodeId, Contracts.Mesh.NodeReport report)
    {
        try
        {
            // A report that moves what members see (an endpoint, a mapped address) is the node's doing.
            using var activity = Domain.ActivityScope.Begin(Domain.ActivityActorKind.Node, nodeId, "status report", meshChangesOnly: true);
            await nodes.ReportAsync(nodeId, report, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "could not record the status report of node {Node}", nodeId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        lock (_lock)
        {
            foreach (var slot in _slots.Values)
            {
                slot.Timer?.Dispose();
            }
            _slots.Clear();
        }
        return Task.CompletedTask;
    }

    private sealed class Slot
    {
        public ITimer? Timer { get; set; }

        public Contracts.Mesh.NodeReport? Waiting { get; set; }
    }
}
