using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>The web console's session on the in-process server: what the cookie may do, and what ends it.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ConsoleApiTests : IDisposable
{
    private readonly ServerFactory _server = new();

    public void Dispose() => _server.Dispose();

    private static HttpRequestMessage Post(string path, object body, string? csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (csrf is not null)
        {
            request.Headers.Add("X-CSRF-Token", csrf);
        }
        return request;
    }

    [Fact]
    public async Task The_cookie_reads_the_api_but_changes_it_only_with_the_sessions_csrf_token()
    {
        var (client, csrf) = await ConsoleSignIn.SignedInAsync(_server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/networks")).StatusCode);
        var body = new CreateNetworkRequest { Name = "home", Ipv4Cidr = "10.1.0.0/24" };
        var refused = await client.SendAsync(Post("/api/v1/networks", body, null));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("CSRF token is missing or wrong", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/v1/networks", body, csrf + "x"))).StatusCode);
        Assert.Empty(await _server.Admin().GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks") ?? []);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(Post("/api/v1/networks", body, csrf))).StatusCode);
    }

    [Fact]
    public async Task A_password_change_or_removal_from_the_cli_ends_the_accounts_sessions()
    {
        var accounts = _server.Services.GetRequiredService<AdminAccountService>();
        var (alice, _) = await ConsoleSignIn.SignedInAsync(_server, "alice");
        var (bob, _) = await ConsoleSignIn.SignedInAsync(_server, "bob");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/console/session")).StatusCode);

        await Task.Delay(5); // the change time must be later than the sign-in (the real clock)
        await accounts.ChangePasswordAsync("alice", "another-long-password", CancellationToken.None);
        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.GetAsync("/console/session")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/console/session")).StatusCode);

        await accounts.RemoveAsync("bob", CancellationToken.None);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bob.GetAsync("/api/v1/networks")).StatusCode);
        var again = await Assert.ThrowsAsync<Domain.DomainException>(() => accounts.RemoveAsync("bob", CancellationToken.None));
        Assert.Equal("account 'bob' not found", again.Message);
    }

    [Fact]
    public async Task Accounts_are_validated_before_anything_is_stored()
    {
        var accounts = _server.Services.GetRequiredService<AdminAccountService>();
        var bad = await Assert.ThrowsAsync<Domain.DomainException>(() => accounts.AddAsync("Bad Name", "short", CancellationToken.None));
        Assert.Equal(["name", "password"], bad.Errors!.Keys.Order());
        await accounts.AddAsync("carol", "correct-horse-battery", CancellationToken.None);
        var twice = await Assert.ThrowsAsync<Domain.DomainException>(() => accounts.AddAsync("carol", "correct-horse-battery", CancellationToken.None));
        Assert.Contains("exists", twice.Message, StringComparison.Ordinal);
        Assert.Equal(["carol"], (await accounts.ListAsync(CancellationToken.None)).Select(a => a.Name));
        Assert.False(await accounts.VerifyAsync("carol", "wrong-password-here", CancellationToken.None));
        Assert.False(await accounts.VerifyAsync("nobody", "correct-horse-battery", CancellationToken.None));
        Assert.True(await accounts.VerifyAsync("carol", "correct-horse-battery", CancellationToken.None));
    }

    [Fact]
    public async Task The_status_feed_hears_a_status_report_a_join_and_a_removal_of_its_network_only()
    {
        var feed = _server.Services.GetRequiredService<NodeStatusFeed>();
        var nodes = _server.Services.GetRequiredService<NodeService>();
        await _server.CreateNetworkAsync("home", "10.2.0.0/24");
        await _server.CreateNetworkAsync("lab", "10.3.0.0/24");
        using var home = feed.Subscribe("home")!;
        var joined = await _server.JoinAsync(await _server.CreateKeyAsync("home"), "alpha");
        await _server.JoinAsync(await _server.CreateKeyAsync("lab"), "other");
        Assert.Equal(new NodeStatusEvent(NodeStatusEventKind.NodeChanged, "home", joined.NodeId), await home.Events.ReadAsync());

        await nodes.ReportAsync(joined.NodeId, new NodeReport { ListenPort = 51821, Endpoints = ["192.0.2.1"] }, CancellationToken.None);
        // The report changed its endpoints (a record change) and it was seen.
        var events = new List<NodeStatusEvent> { await home.Events.ReadAsync(), await home.Events.ReadAsync() };
        Assert.Contains(new NodeStatusEvent(NodeStatusEventKind.NodeSeen, "home", joined.NodeId), events);
        Assert.Contains(new NodeStatusEvent(NodeStatusEventKind.NodeChanged, "home", joined.NodeId), events);

        await _server.Admin().DeleteAsync($"/api/v1/nodes/{joined.NodeId}");
        Assert.Equal(new NodeStatusEvent(NodeStatusEventKind.NodeRemoved, "home", joined.NodeId), await home.Events.ReadAsync());
        Assert.False(home.Events.TryRead(out _)); // nothing of "lab"
    }

    [Fact]
    public void The_status_feed_is_bounded_and_a_page_that_fell_behind_is_told_to_reload()
    {
        var feed = new NodeStatusFeed();
        using var slow = feed.Subscribe("home")!;
        for (var i = 0; i < 300; i++)
        {
            feed.NodeSeen("home", "n" + i);
        }
        var read = 0;
        while (slow.Events.TryRead(out _))
        {
            read++;
        }
        Assert.Equal(256, read); // the queue's bound; the rest were dropped
        feed.NodeSeen("home", "late");
        Assert.True(slow.Events.TryRead(out var late));
        Assert.Equal("late", late.NodeId);
        Assert.True(slow.Events.TryRead(out var resync));
        Assert.Equal(NodeStatusEventKind.Resync, resync.Kind);

        var subscriptions = Enumerable.Range(1, NodeStatusFeed.MaxSubscribers - 1).Select(_ => feed.Subscribe("home")!).ToList();
        Assert.Null(feed.Subscribe("home"));
        subscriptions[0].Dispose();
        using var again = feed.Subscribe("home");
        Assert.NotNull(again);
        subscriptions.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task Gets_are_compressed_for_a_browser_that_asks()
    {
        await _server.CreateNetworkAsync("home", "10.4.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        for (var i = 0; i < 20; i++)
        {
            await _server.JoinAsync(key, "n" + i);
        }
        using var admin = _server.Admin();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/networks/home/nodes");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await admin.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
    }
}
