using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// NAT traversal on the server (issue #18): relays made and taken back through the API, the NAT-mapped endpoints
/// relays observe, the candidate order peers receive, the opt-outs, the network's punching switch and the paths the
/// node API shows.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class NatTraversalApiTests : IDisposable
{
    private readonly ServerFactory _server = new();
    private readonly HttpClient _admin;

    public NatTraversalApiTests() => _admin = _server.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _server.Dispose();
    }

    private NodeService Nodes => _server.Services.GetRequiredService<NodeService>();

    private async Task<NodeConfigDto> ConfigAsync(JoinResponse node)
    {
        using var c = _server.As(node.Credential);
        return (await c.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!;
    }

    private static NodeReport Report(int port, IReadOnlyList<string> endpoints, params PeerPathReport[] peers) =>
        new() { ListenPort = port, Endpoints = endpoints, Peers = peers };

    private async Task<(JoinResponse Relay, JoinResponse A, JoinResponse B)> NetworkAsync()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var relay = await _server.JoinAsync(key, "relay", ["198.51.100.9"]);
        var a = await _server.JoinAsync(key, "a", ["192.168.1.5"]);
        var b = await _server.JoinAsync(key, "b", ["192.168.7.5"]);
        using var r = await _admin.PutAsync($"/api/v1/nodes/{relay.NodeId}/relay", null);
        await Http.EnsureAsync(r);
        Assert.True((await r.Content.ReadFromJsonAsync<NodeDto>())!.Relay);
        return (relay, a, b);
    }

    [Fact]
    public async Task A_relay_is_made_and_taken_back_and_peers_see_it()
    {
        var (relay, a, _) = await NetworkAsync();
        var seen = (await ConfigAsync(a)).Peers.Single(p => p.NodeId == relay.NodeId);
        Assert.True(seen.Relay);
        Assert.True((await ConfigAsync(relay)).Interface.Relay);

        using (var r = await _admin.DeleteAsync($"/api/v1/nodes/{relay.NodeId}/relay"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.False((await ConfigAsync(a)).Peers.Single(p => p.NodeId == relay.NodeId).Relay);
        using (var r = await _admin.PutAsync("/api/v1/nodes/no-such-node/relay", null))
        {
            await Http.ProblemAsync(r, 404);
        }
    }

    [Fact]
    public async Task A_node_without_an_endpoint_or_one_that_opted_out_cannot_be_a_relay()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var hidden = await _server.JoinAsync(key, "hidden", []);
        using (var r = await _admin.PutAsync($"/api/v1/nodes/{hidden.NodeId}/relay", null))
        {
            Assert.True((await Http.ProblemAsync(r, 409)).Errors!.ContainsKey("relay"));
        }

        var owner = await _server.JoinAsync(key, "owner", ["198.51.100.7"]);
        await Nodes.ReportAsync(owner.NodeId, Report(51821, ["198.51.100.7"]) with { NoRelay = true }, CancellationToken.None);
        using (var r = await _admin.PutAsync($"/api/v1/nodes/{owner.NodeId}/relay", null))
        {
            Assert.True((await Http.ProblemAsync(r, 409)).Errors!.ContainsKey("relay"));
        }
        Assert.True((await _admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{owner.NodeId}"))!.NoRelay);
    }

    [Fact]
    public async Task A_relay_that_opts_out_stops_being_one_for_its_peers()
    {
        var (relay, a, _) = await NetworkAsync();
        await Nodes.ReportAsync(relay.NodeId, Report(51821, ["198.51.100.9"]) with { NoRelay = true }, CancellationToken.None);
        Assert.False((await ConfigAsync(a)).Peers.Single(p => p.NodeId == relay.NodeId).Relay);
        Assert.False((await ConfigAsync(relay)).Interface.Relay);
    }

    [Fact]
    public async Task What_a_relay_observes_becomes_the_peers_first_candidate_and_its_own_mapped_address()
    {
        var (relay, a, b) = await NetworkAsync();
        await Nodes.ReportAsync(relay.NodeId, Report(51821, ["198.51.100.9"],
            new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.5:51821", 4)), CancellationToken.None);

        var aSeenByB = (await ConfigAsync(b)).Peers.Single(p => p.NodeId == a.NodeId);
        Assert.Equal(["203.0.113.5:51821", "192.168.1.5:51821"], aSeenByB.Endpoints);
        Assert.Equal("203.0.113.5:51821", aSeenByB.Endpoint);
        Assert.Equal("203.0.113.5:51821", aSeenByB.MappedEndpoint);
        var own = (await ConfigAsync(a)).Interface;
        Assert.Equal("203.0.113.5:51821", own.MappedEndpoint);
        Assert.Equal(aSeenByB.Endpoints, own.Candidates);
        Assert.Equal("203.0.113.5:51821", (await _admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{a.NodeId}"))!.MappedEndpoint);
    }

    public static TheoryData<string, PeerPathReport> IgnoredObservations() => new()
    {
        { "a stale handshake", new PeerPathReport("A", PeerPathReport.Direct, null, "203.0.113.5:51821", 400) },
        { "no handshake at all", new PeerPathReport("A", PeerPathReport.Direct, null, "203.0.113.5:51821", null) },
        { "a probing path (the endpoint is the relay's guess)", new PeerPathReport("A", PeerPathReport.Probing, null, "203.0.113.5:51821", 4) },
        { "the unspecified address", new PeerPathReport("A", PeerPathReport.Direct, null, "0.0.0.0:51821", 4) },
        { "a multicast address", new PeerPathReport("A", PeerPathReport.Direct, null, "239.1.2.3:51821", 4) },
        { "loopback", new PeerPathReport("A", PeerPathReport.Direct, null, "127.0.0.1:51821", 4) },
    };

    [Theory]
    [MemberData(nameof(IgnoredObservations))]
    public async Task Observations_that_prove_nothing_are_ignored(string row, PeerPathReport observation)
    {
        var (relay, a, _) = await NetworkAsync();
        await Nodes.ReportAsync(relay.NodeId, Report(51821, ["198.51.100.9"], observation with { NodeId = a.NodeId }), CancellationToken.None);
        Assert.True((await ConfigAsync(a)).Interface.MappedEndpoint is null, row);
    }

    [Fact]
    public async Task Only_relays_are_believed_and_a_bad_peer_list_is_dropped_whole()
    {
        var (_, a, b) = await NetworkAsync();
        // b is no relay: what it says about a changes nothing.
        await Nodes.ReportAsync(b.NodeId, Report(51821, ["192.168.7.5"],
            new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.66:51821", 4)), CancellationToken.None);
        Assert.Null((await ConfigAsync(a)).Interface.MappedEndpoint);

        var tooMany = Enumerable.Range(0, NatReports.MaxPeers + 1).Select(i => new PeerPathReport($"n{i}", PeerPathReport.Probing, null, null, null)).ToArray();
        Assert.Null(NatReports.Validate(tooMany, out var error));
        Assert.Contains("at most", error, StringComparison.Ordinal);
        Assert.Null(NatReports.Validate([new PeerPathReport("x", "teleport", null, null, null)], out error));
        Assert.Contains("path", error, StringComparison.Ordinal);
        Assert.Null(NatReports.Validate([new PeerPathReport("x", PeerPathReport.Relayed, null, null, null)], out error));
        Assert.Contains("via", error, StringComparison.Ordinal);
        Assert.Null(NatReports.Validate([new PeerPathReport("x", PeerPathReport.Direct, null, "not an endpoint", 1)], out error));
        Assert.Contains("endpoint", error, StringComparison.Ordinal);

        // A bad list still counts the node as alive and changes nothing else: the paths shown stay the last good ones.
        await Nodes.ReportAsync(b.NodeId, Report(51821, ["192.168.7.5"], new PeerPathReport(a.NodeId, "teleport", null, null, null)), CancellationToken.None);
        var shown = (await _admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{b.NodeId}"))!;
        Assert.NotNull(shown.LastSeen);
        Assert.Equal(PeerPathReport.Direct, Assert.Single(shown.Paths!).Path);
    }

    [Fact]
    public async Task A_symmetric_nats_other_ports_seen_by_a_second_relay_do_not_flip_the_mapped_address()
    {
        var (relay, a, _) = await NetworkAsync();
        var key = await _server.CreateKeyAsync("home");
        var second = await _server.JoinAsync(key, "relay2", ["198.51.100.10"]);
        await Http.EnsureAsync(await _admin.PutAsync($"/api/v1/nodes/{second.NodeId}/relay", null));
        var (first, other) = string.CompareOrdinal(relay.NodeId, second.NodeId) < 0 ? (relay, second) : (second, relay);

        await Nodes.ReportAsync(first.NodeId, Report(51821, ["198.51.100.9"], new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.5:40001", 4)), CancellationToken.None);
        await Nodes.ReportAsync(other.NodeId, Report(51821, ["198.51.100.10"], new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.5:40002", 4)), CancellationToken.None);
        Assert.Equal("203.0.113.5:40001", (await ConfigAsync(a)).Interface.MappedEndpoint);
        // A new public address is taken from any relay.
        await Nodes.ReportAsync(other.NodeId, Report(51821, ["198.51.100.10"], new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.77:40002", 4)), CancellationToken.None);
        Assert.Equal("203.0.113.77:40002", (await ConfigAsync(a)).Interface.MappedEndpoint);
    }

    [Fact]
    public async Task Punching_off_in_the_network_or_by_the_node_hides_the_mapped_address_from_the_candidates()
    {
        var (relay, a, b) = await NetworkAsync();
        await Nodes.ReportAsync(relay.NodeId, Report(51821, ["198.51.100.9"],
            new PeerPathReport(a.NodeId, PeerPathReport.Direct, null, "203.0.113.5:51821", 4)), CancellationToken.None);

        using (var r = await _admin.PatchAsJsonAsync("/api/v1/networks/home", new UpdateNetworkRequest { Punching = false }))
        {
            await Http.EnsureAsync(r);
            Assert.False((await r.Content.ReadFromJsonAsync<NetworkDto>())!.Punching);
        }
        var config = await ConfigAsync(b);
        Assert.True(config.Peers.Single(p => p.NodeId == a.NodeId).Endpoints.SequenceEqual(["192.168.1.5:51821"]));
        Assert.True((await ConfigAsync(a)).Interface.NoPunching);

        await Http.EnsureAsync(await _admin.PatchAsJsonAsync("/api/v1/networks/home", new UpdateNetworkRequest { Punching = true }));
        Assert.Equal("203.0.113.5:51821", (await ConfigAsync(b)).Peers.Single(p => p.NodeId == a.NodeId).Endpoint);
        await Nodes.ReportAsync(a.NodeId, Report(51821, ["192.168.1.5"]) with { NoPunch = true }, CancellationToken.None);
        Assert.True((await ConfigAsync(b)).Peers.Single(p => p.NodeId == a.NodeId).Endpoints.SequenceEqual(["192.168.1.5:51821"]));
    }

    [Fact]
    public async Task The_node_api_shows_the_paths_the_agent_reported()
    {
        var (relay, a, b) = await NetworkAsync();
        await Nodes.ReportAsync(a.NodeId, Report(51821, ["192.168.1.5"],
            new PeerPathReport(b.NodeId, PeerPathReport.Relayed, relay.NodeId, "198.51.100.9:51821", 2),
            new PeerPathReport(relay.NodeId, PeerPathReport.Direct, null, "198.51.100.9:51821", 2)), CancellationToken.None);
        var shown = (await _admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{a.NodeId}"))!;
        var toB = shown.Paths!.Single(p => p.NodeId == b.NodeId);
        Assert.Equal((PeerPathReport.Relayed, relay.NodeId, "198.51.100.9:51821", 2L), (toB.Path, toB.Via, toB.Endpoint, toB.HandshakeAgeSeconds));
        await Http.EnsureAsync(await _admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}"));
        Assert.Null(_server.Services.GetRequiredService<PeerPathBook>().Get(a.NodeId));
    }
}
