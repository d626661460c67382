using Appliance.Contracts.Mesh;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The console's transfer charts (issue #21): the counters nodes and gateways report become samples per node and per
/// ext client, kept in a bounded ring; a gateway cannot write another gateway's client; deleted records are forgotten.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class TransferApiTests
{
    private static async Task<IReadOnlyList<TransferSampleDto>> SamplesAsync(GatewayScenario s, string path) =>
        (await s.OkAsync<List<TransferSampleDto>>(await s.Admin.GetAsync(path)));

    [Fact]
    public async Task Reported_counters_become_samples_of_the_node_and_of_its_own_clients_only()
    {
        var s = await GatewayScenario.CreateAsync();
        using var _s = s;
        var gw = await s.JoinAsync("gw");
        var other = await s.JoinAsync("other", "192.0.2.11");
        await s.IngressAsync(gw.NodeId);
        await s.IngressAsync(other.NodeId);
        var mine = await s.ExtClientAsync(gw.NodeId, "phone");
        var theirs = await s.ExtClientAsync(other.NodeId, "laptop");
        var nodes = s.Server.Services.GetRequiredService<NodeService>();
        Assert.Empty(await SamplesAsync(s, $"/api/v1/nodes/{gw.NodeId}/transfer"));

        foreach (var (rx, tx) in new[] { (1_000L, 100L), (9_000L, 700L) })
        {
            await nodes.ReportAsync(gw.NodeId, new NodeReport
            {
                ListenPort = 51820, Endpoints = ["192.0.2.10"], RxBytes = rx, TxBytes = tx,
                ExtClients = [new ExtClientReport(mine.Id, rx / 10, tx / 10, null), new ExtClientReport(theirs.Id, 1, 1, null)],
            }, CancellationToken.None);
        }
        Assert.Equal([(1_000L, 100L), (9_000L, 700L)], (await SamplesAsync(s, $"/api/v1/nodes/{gw.NodeId}/transfer")).Select(x => (x.RxBytes, x.TxBytes)));
        Assert.Equal([(100L, 10L), (900L, 70L)], (await SamplesAsync(s, $"/api/v1/ext-clients/{mine.Id}/transfer")).Select(x => (x.RxBytes, x.TxBytes)));
        Assert.Empty(await SamplesAsync(s, $"/api/v1/ext-clients/{theirs.Id}/transfer")); // not gw's client

        // Unknown ids are 404; a deleted node's samples go with it.
        await s.ProblemAsync(s.Admin.GetAsync("/api/v1/nodes/nope/transfer"), 404);
        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}"))
        {
            await Http.EnsureAsync(r);
        }
        var history = s.Server.Services.GetRequiredService<TransferHistory>();
        Assert.Empty(history.Get(TransferHistory.NodeKey(gw.NodeId)));
        Assert.Empty(history.Get(TransferHistory.ExtClientKey(mine.Id)));
    }
}
