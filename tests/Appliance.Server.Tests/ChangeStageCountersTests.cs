using System.Globalization;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Packets;
using Appliance.Server.Metrics;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The per-stage counters of a change (issue #14, <see cref="ChangeStageCounters"/>): a join moves its request and
/// the store's write; the mesh's stages (compute, seal, hand-off) and the broker's writes move only when someone
/// follows the network; a read moves none of them; and <c>GET /metrics</c> shows them.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ChangeStageCountersTests : IDisposable
{
    private readonly ServerFactory _server = new();

    public void Dispose() => _server.Dispose();

    private ChangeStageCounters Stages => _server.Services.GetRequiredService<ChangeStageCounters>();

    private MeshPublisher Publisher => _server.Services.GetRequiredService<MeshPublisher>();

    private Broker.StageCounter BrokerWrites => _server.Services.GetRequiredService<BrokerHost>().Broker.Metrics.Writes;

    private Dictionary<ChangeStage, long> Runs() => Enum.GetValues<ChangeStage>().ToDictionary(s => s, s => Stages[s].Runs);

    private long Moved(Dictionary<ChangeStage, long> before, ChangeStage stage) => Stages[stage].Runs - before[stage];

    [Fact]
    public async Task A_join_moves_its_request_and_the_stores_write_and_with_nobody_following_nothing_else()
    {
        await _server.CreateNetworkAsync("home", "10.60.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        await Wait.UntilAsync(() => Publisher.IsIdle, "the setup's rounds");
        var before = Runs();
        var writesBefore = Stages[ChangeStage.StoreWrite].Wall;
        var requestBefore = Stages[ChangeStage.JoinRequest].Wall;

        await _server.JoinAsync(key, "a");
        await Wait.UntilAsync(() => Publisher.IsIdle, "the join's round");

        Assert.Equal(1, Moved(before, ChangeStage.JoinRequest));
        Assert.Equal(1, Moved(before, ChangeStage.StoreWrite));
        // The request encloses its store write.
        Assert.True(Stages[ChangeStage.JoinRequest].Wall - requestBefore >= Stages[ChangeStage.StoreWrite].Wall - writesBefore);
        // Nobody asked for the network yet: the publisher computes, seals and sends nothing.
        Assert.Equal(0, Moved(before, ChangeStage.MeshCompute));
        Assert.Equal(0, Moved(before, ChangeStage.Seal));
        Assert.Equal(0, Moved(before, ChangeStage.BrokerHandoff));

        // A read of the API writes nothing and is no join.
        var afterJoin = Runs();
        using var admin = _server.Admin();
        (await admin.GetAsync("/api/v1/nodes")).EnsureSuccessStatusCode();
        Assert.All(Enum.GetValues<ChangeStage>(), s => Assert.Equal(0, Moved(afterJoin, s)));
    }

    [Fact]
    public async Task A_change_with_a_follower_moves_the_mesh_stages_and_the_brokers_writes()
    {
        await _server.CreateNetworkAsync("home", "10.61.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        await using var follower = await MeshFollower.ConnectAsync(_server, a);
        await follower.SubscribeAsync(MeshTopics.NetworkUpdates("home"));
        await follower.PublishAsync(MeshTopics.Resync(a.NodeId), JsonSerializer.SerializeToUtf8Bytes(
            new MeshResyncRequest { NetworkTopic = true }, ApplianceJsonContext.Default.MeshResyncRequest), MqttQos.AtLeastOnce);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            Assert.True((await follower.Messages.ReadAsync(cts.Token)).Topic == MeshTopics.Updates(a.NodeId), "the snapshot");
        }
        await Wait.UntilAsync(() => Publisher.IsIdle, "the snapshot's round");
        var before = Runs();
        var writes = BrokerWrites.Runs;

        await _server.JoinAsync(key, "b");
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(MeshTopics.NetworkUpdates("home"), (await follower.Messages.ReadAsync(cts.Token)).Topic);
        }
        await Wait.UntilAsync(() => Publisher.IsIdle && BrokerWrites.Runs > writes, "the join's round and its write to the follower");

        Assert.Equal(1, Moved(before, ChangeStage.JoinRequest));
        Assert.Equal(1, Moved(before, ChangeStage.StoreWrite));
        // Computing: the change set applied to the view, then the peer changes and who gets what.
        Assert.Equal(2, Moved(before, ChangeStage.MeshCompute));
        // One network delta, sealed once and handed to the broker once (on the shared topic).
        Assert.Equal(1, Moved(before, ChangeStage.Seal));
        Assert.Equal(1, Moved(before, ChangeStage.BrokerHandoff));
        Assert.True(Stages[ChangeStage.Seal].CpuRuns > 0 && Stages[ChangeStage.Seal].Cpu > TimeSpan.Zero, "sealing runs on one thread: its CPU is measured");
        // The update's JSON and its signed envelope are new arrays: sealing allocates at least their bytes.
        Assert.True(Stages[ChangeStage.Seal].AllocatedBytes > 100, $"seal allocated {Stages[ChangeStage.Seal].AllocatedBytes} bytes");

        // GET /metrics shows each stage, the broker's writes and the collector's pauses.
        using var admin = _server.Admin();
        var scrape = await admin.GetStringAsync("/metrics");
        foreach (var stage in Enum.GetValues<ChangeStage>().Select(ChangeStageCounters.Label).Append(Services.MetricsService.BrokerWritesStage))
        {
            var runs = Value(scrape, $"appliance_stage_runs_total{{stage=\"{stage}\"}}");
            Assert.True(runs >= 1, $"{stage}: {runs} runs in the scrape");
            Assert.NotNull(Value(scrape, $"appliance_stage_cpu_seconds_total{{stage=\"{stage}\"}}"));
            Assert.NotNull(Value(scrape, $"appliance_stage_allocated_bytes_total{{stage=\"{stage}\"}}"));
        }
        Assert.Equal(Stages[ChangeStage.Seal].Runs, Value(scrape, "appliance_stage_runs_total{stage=\"seal\"}"));
        Assert.NotNull(Value(scrape, "appliance_gc_pause_seconds_total"));
        Assert.True(Value(scrape, "appliance_gc_allocated_bytes_total") > 0);
        Assert.NotNull(Value(scrape, "appliance_gc_collections_total{generation=\"0\"}"));
    }

    private static double? Value(string scrape, string sample) => scrape.Split('\n')
        .Where(l => l.StartsWith(sample + " ", StringComparison.Ordinal))
        .Select(l => (double?)double.Parse(l[(sample.Length + 1)..], CultureInfo.InvariantCulture))
        .FirstOrDefault();
}
