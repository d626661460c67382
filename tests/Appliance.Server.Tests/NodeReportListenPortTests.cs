using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The listen port a node reports is its device's: followed when the node holds the network's latest version, and never
/// allowed to undo an admin's `node update --listen-port` that the node has not applied yet (MeshNetnsTests once lost
/// such a change to the report a reconnecting agent sent while the update was being made).
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class NodeReportListenPortTests : IDisposable
{
    private readonly ServerFactory _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task A_report_from_before_an_admins_port_change_does_not_undo_it_and_one_from_after_is_followed()
    {
        await _server.CreateNetworkAsync("home", "10.60.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var joined = await _server.JoinAsync(key, "d");
        var nodes = _server.Services.GetRequiredService<NodeService>();
        using var admin = _server.Admin();
        async Task<(int Port, long Version)> ReadAsync() =>
            ((await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{joined.NodeId}"))!.ListenPort,
             await _server.Store.ReadAsync(s => s.FindNetwork("home")!.Version));
        var (port, held) = await ReadAsync();
        Assert.Equal(51821, port);

        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{joined.NodeId}", new UpdateNodeRequest { ListenPort = 51999 }))
        {
            await Http.EnsureAsync(r);
        }
        // The node's report, made before it applied the change: the old port, the version it held.
        await nodes.ReportAsync(joined.NodeId, new NodeReport { ListenPort = 51821, Endpoints = ["192.0.2.4"], AppliedVersion = held }, CancellationToken.None);
        var (kept, latest) = await ReadAsync();
        Assert.Equal(51999, kept);
        Assert.True(latest > held);

        // Once it holds the latest version, what its device has is followed (here: the device moved on by itself).
        await nodes.ReportAsync(joined.NodeId, new NodeReport { ListenPort = 52000, Endpoints = ["192.0.2.4"], AppliedVersion = latest }, CancellationToken.None);
        Assert.Equal(52000, (await ReadAsync()).Port);
    }
}
