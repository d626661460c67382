using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Integration)]
public sealed class NodeApiTests
{
    [Fact]
    public async Task Patch_and_delete_nodes_bump_the_network_version()
    {
        using var server = new ServerFactory();
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        var b = await server.JoinAsync(key, "b");
        using var admin = server.Admin();
        var v0 = (await admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;

        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { Name = "gateway", ListenPort = 51999, Endpoints = ["203.0.113.5"] }))
        {
            await Http.EnsureAsync(r);
            var n = await r.Content.ReadFromJsonAsync<NodeDto>();
            Assert.Equal(("gateway", 51999), (n!.Name, n.ListenPort));
        }
        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { Name = "b" }))
        {
            Assert.True((await Http.ProblemAsync(r, 409)).Errors!.ContainsKey("name"));
        }
        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { Name = "Not A Label" }))
        {
            Assert.True((await Http.ProblemAsync(r, 400)).Errors!.ContainsKey("name"));
        }
        using var asB = server.As(b.Credential);
        var peer = (await asB.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!.Peers.Single();
        Assert.Equal(("gateway", "203.0.113.5:51999"), (peer.Name, peer.Endpoint));
        Assert.True((await admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version > v0);

        using (var r = await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.Empty((await asB.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!.Peers);
        // The deleted node's credential stops working at once.
        using var asA = server.As(a.Credential);
        using var denied = await asA.GetAsync("/api/v1/node/config");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        using var missing = await admin.GetAsync($"/api/v1/nodes/{a.NodeId}");
        await Http.ProblemAsync(missing, 404);
    }

    [Fact]
    public async Task A_node_can_remove_itself_and_its_credential_dies_with_it()
    {
        using var server = new ServerFactory();
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        var b = await server.JoinAsync(key, "b");
        using var asA = server.As(a.Credential);
        using (var r = await asA.DeleteAsync("/api/v1/node"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        using (var r = await asA.GetAsync("/api/v1/node/config"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using var asB = server.As(b.Credential);
        Assert.Empty((await asB.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!.Peers);
    }

    [Fact]
    public async Task Deleted_node_address_is_held_for_the_grace_period()
    {
        using var server = new ServerFactory(addressHoldSeconds: 3600);
        await server.CreateNetworkAsync("home", "10.10.0.0/24", "fd10::/64");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        using var admin = server.Admin();
        (await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}")).Dispose();
        var b = await server.JoinAsync(key, "b");
        Assert.Equal(("10.10.0.2/24", "fd10::2/64"), (b.Ipv4Address, b.Ipv6Address)); // .1 is held back
    }

    [Fact]
    public async Task Address_is_reused_once_the_grace_period_has_passed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var server = new ServerFactory(addressHoldSeconds: 1) { TestServices = s => s.AddSingleton<TimeProvider>(clock) };
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        using var admin = server.Admin();
        (await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}")).Dispose();
        // The server's clock, not the wall clock, ends the hold: half-way it is still held, after it the address is free.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var held = await server.JoinAsync(key, "held");
        Assert.NotEqual(a.Ipv4Address, held.Ipv4Address);
        clock.Advance(TimeSpan.FromMilliseconds(600));
        var b = await server.JoinAsync(key, "b");
        Assert.Equal(a.Ipv4Address, b.Ipv4Address);
    }
}
