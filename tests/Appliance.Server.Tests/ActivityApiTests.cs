using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Server.Services;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>GET /api/v1/activity (issue #21): who changed what, paged, by network; bounded input; admin only.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ActivityApiTests : IDisposable
{
    private readonly ServerFactory _server = new();
    private readonly HttpClient _admin;

    public ActivityApiTests() => _admin = _server.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _server.Dispose();
    }

    private async Task<ActivityPageDto> PageAsync(string query, HttpClient? client = null)
    {
        using var r = await (client ?? _admin).GetAsync("/api/v1/activity" + query);
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<ActivityPageDto>())!;
    }

    [Fact]
    public async Task Each_change_is_listed_newest_first_with_its_actor_and_pages_follow_next()
    {
        await _server.CreateNetworkAsync("home", "10.40.0.0/24");
        await _server.CreateNetworkAsync("lab", "10.41.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var joined = await _server.JoinAsync(key, "web");
        using (var r = await _admin.PatchAsJsonAsync($"/api/v1/nodes/{joined.NodeId}", new UpdateNodeRequest { Name = "www" }))
        {
            await Http.EnsureAsync(r);
        }

        var home = await PageAsync("?network=home");
        Assert.Equal(
            [("token", "admin token", "PATCH /api/v1/nodes/" + joined.NodeId), ("node", $"web (key {key.Id})", "POST /api/v1/join"),
             ("token", "admin token", "POST /api/v1/enrollment-keys"), ("token", "admin token", "POST /api/v1/networks")],
            home.Items.Select(e => (e.ActorKind, e.Actor, e.Action)));
        Assert.Equal("node www", home.Items[0].Summary);
        Assert.Null(home.Next);

        // Two at a time over everything: the pages join up without gaps or repeats.
        var first = await PageAsync("?limit=2");
        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.Next);
        var second = await PageAsync($"?limit=2&before={first.Next}");
        var third = await PageAsync($"?limit=2&before={second.Next}");
        var ids = first.Items.Concat(second.Items).Concat(third.Items).Select(e => e.Id).ToList();
        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Null(third.Next);
        Assert.Contains(ids, id => (first.Items.Concat(second.Items).Concat(third.Items)).Single(e => e.Id == id).Network == "lab");
    }

    [Fact]
    public async Task The_cli_and_a_console_account_are_told_apart_from_the_admin_token()
    {
        using var cli = _server.Admin();
        cli.DefaultRequestHeaders.UserAgent.ParseAdd(Appliance.Server.Cli.AdminClient.UserAgent);
        using (var r = await cli.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = "by-cli", Ipv4Cidr = "10.42.0.0/24" }))
        {
            await Http.EnsureAsync(r);
        }
        var (console, csrf) = await ConsoleSignIn.SignedInAsync(_server, "alice");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/networks") { Content = JsonContent.Create(new CreateNetworkRequest { Name = "by-alice", Ipv4Cidr = "10.43.0.0/24" }) })
        {
            request.Headers.Add("X-CSRF-Token", csrf);
            using var r = await console.SendAsync(request);
            await Http.EnsureAsync(r);
        }
        Assert.Equal(("cli", "admin token", "network by-cli created (10.42.0.0/24)"),
            (await PageAsync("?network=by-cli")).Items.Select(e => (e.ActorKind, e.Actor, e.Summary)).Single());
        Assert.Equal(("console", "alice"), (await PageAsync("?network=by-alice", console)).Items.Select(e => (e.ActorKind, e.Actor)).Single());
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?before=0", "before")]
    [InlineData("?network=Not_A_Label", "network")]
    public async Task Bad_queries_are_refused_naming_the_parameter(string query, string field)
    {
        using var r = await _admin.GetAsync("/api/v1/activity" + query);
        var problem = await Http.ProblemAsync(r, 400);
        Assert.Contains(field, problem.Errors!.Keys);
    }

    [Fact]
    public async Task Only_an_admin_reads_the_log()
    {
        using var anonymous = _server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/activity")).StatusCode);
        await _server.CreateNetworkAsync("home", "10.40.0.0/24");
        var joined = await _server.JoinAsync(await _server.CreateKeyAsync("home"), "a");
        using var node = _server.As(joined.Credential);
        Assert.Equal(HttpStatusCode.Forbidden, (await node.GetAsync("/api/v1/activity")).StatusCode);
    }
}
