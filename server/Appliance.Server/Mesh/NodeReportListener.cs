using System.Text.Json;
using Appliance.Contracts;
using Appliance.Server.Mqtt;
using Appliance.Server.Services;

namespace Appliance.Server.Mesh;

/// <summary>Reads the nodes' status reports off the mesh bus and records them.</summary>
public sealed class NodeReportListener(IMeshBus bus, NodeService nodes, ILogger<NodeReportListener> logger) : IHostedService
{
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
                    _ = RecordAsync(nodeId, report);
                }
            });
        }
        return Task.CompletedTask;
    }

    private async Task RecordAsync(string nodeId, Contracts.Mesh.NodeReport report)
    {
        try
        {
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
        return Task.CompletedTask;
    }
}
