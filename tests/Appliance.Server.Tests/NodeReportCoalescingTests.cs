using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

/// <summary>A node's status reports are recorded at most once per window, the latest winning: flapping costs one version per window.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class NodeReportCoalescingTests : IDisposable
{
    private readonly FakeMeshBus _bus = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ServerFactory _server;

    public NodeReportCoalescingTests()
    {
        _server = new ServerFactory
        {
            TestServices = s =>
            {
                s.AddSingleton<IMeshBus>(_bus);
                s.AddSingleton<TimeProvider>(_clock);
            },
        };
    }

    [Fact]
    public async Task An_endpoint_flapping_2000_times_bumps_the_network_version_once_per_window_and_the_latest_report_wins()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        await _server.JoinAsync(key, "b");
        using var admin = _server.Admin();
        var before = await VersionAsync(admin);

        for (var i = 0; i < 2000; i++)
        {
            var report = new NodeReport { ListenPort = 51820, Endpoints = [$"198.51.100.{(i % 2) + 1}:51820"] };
            Assert.Equal(1, _bus.Deliver(MeshTopics.Status(a.NodeId), JsonSerializer.SerializeToUtf8Bytes(report, ApplianceJsonContext.Default.NodeReport)));
        }
        // The first report of the burst is recorded at once; the other 1999 wait for the window to end.
        await Wait.UntilAsync(async () => (await NodeAsync(admin, a.NodeId)).Endpoints.SequenceEqual(["198.51.100.1:51820"]), "the first report to be recorded");
        Assert.Equal(before + 1, await VersionAsync(admin));

        _clock.Advance(NodeReportListener.ReportWindow);
        await Wait.UntilAsync(async () => (await NodeAsync(admin, a.NodeId)).Endpoints.SequenceEqual(["198.51.100.2:51820"]), "the latest report to be recorded");
        Assert.Equal(before + 2, await VersionAsync(admin));

        // A window with nothing waiting records nothing, and the next report is recorded at once again.
        _clock.Advance(NodeReportListener.ReportWindow);
        _clock.Advance(NodeReportListener.ReportWindow);
        Assert.Equal(before + 2, await VersionAsync(admin));
        var back = new NodeReport { ListenPort = 51820, Endpoints = ["198.51.100.3:51820"] };
        _bus.Deliver(MeshTopics.Status(a.NodeId), JsonSerializer.SerializeToUtf8Bytes(back, ApplianceJsonContext.Default.NodeReport));
        await Wait.UntilAsync(async () => (await NodeAsync(admin, a.NodeId)).Endpoints.SequenceEqual(["198.51.100.3:51820"]), "a report after a quiet window to be recorded at once");
        Assert.Equal(before + 3, await VersionAsync(admin));
    }

    private static async Task<long> VersionAsync(HttpClient admin) => (await admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;

    private static async Task<NodeDto> NodeAsync(HttpClient admin, string id) => (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{id}"))!;

    public void Dispose() => _server.Dispose();
}
