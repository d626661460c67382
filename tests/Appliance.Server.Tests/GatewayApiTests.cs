using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>PUT/DELETE /api/v1/nodes/{id}/ingress and /egress, and a node's internet gateway.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class GatewayApiTests
{
    [Fact]
    public async Task Egress_ranges_reach_every_member_and_show_on_the_node()
    {
        using var s = await GatewayScenario.CreateAsync();
        var a = await s.JoinAsync("a");
        var gw = await s.JoinAsync("gw");
        var v0 = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;
        var egress = await s.EgressAsync(gw.NodeId, "192.168.1.0/24", "2001:db8:1::/48");
        Assert.Equal(["192.168.1.0/24", "2001:db8:1::/48"], egress.Ranges);
        Assert.True(egress.Nat);
        Assert.True((await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version > v0);

        var peer = (await s.ConfigAsync(a)).Peers.Single();
        Assert.Equal(["10.10.0.2/32", "fd10::2/128", "192.168.1.0/24", "2001:db8:1::/48"], peer.AllowedIps);
        var node = (await s.Admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{gw.NodeId}"))!;
        Assert.Equal(["192.168.1.0/24", "2001:db8:1::/48"], node.Egress!.Ranges);
        Assert.Equal(["192.168.1.0/24", "2001:db8:1::/48"], (await s.ConfigAsync(gw)).Gateway!.Egress!.Ranges);

        // PUT replaces; NAT off is kept.
        using (var r = await s.Admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/egress", new EgressRequest { Ranges = ["192.168.2.0/24"], Nat = false }))
        {
            var dto = await s.OkAsync<EgressDto>(r);
            Assert.False(dto.Nat);
        }
        Assert.Equal(["10.10.0.2/32", "fd10::2/128", "192.168.2.0/24"], (await s.ConfigAsync(a)).Peers.Single().AllowedIps);

        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/egress"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.Equal(["10.10.0.2/32", "fd10::2/128"], (await s.ConfigAsync(a)).Peers.Single().AllowedIps);
        Assert.Null((await s.ConfigAsync(gw)).Gateway);
        await s.ProblemAsync(s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/egress"), 404);
    }

    public static TheoryData<string, string[], int, string> BadEgress => new()
    {
        { "no ranges", [], 400, "ranges" },
        { "not a CIDR", ["192.168.1.0"], 400, "ranges[0]" },
        { "host bits set", ["192.168.1.5/24"], 400, "ranges[0]" },
        { "prefix too long", ["192.168.1.0/33"], 400, "ranges[0]" },
        { "garbage", ["lan"], 400, "ranges[0]" },
        { "duplicate", ["192.168.1.0/24", "192.168.1.0/24"], 400, "ranges[1]" },
        { "overlap within the list", ["192.168.0.0/16", "192.168.1.0/24"], 400, "ranges[1]" },
        { "loopback", ["127.0.0.0/8"], 400, "ranges[0]" },
        { "the mesh itself", ["10.10.0.0/24"], 400, "ranges[0]" },
        { "covers the mesh", ["10.0.0.0/8"], 400, "ranges[0]" },
        { "inside the mesh", ["10.10.0.128/25"], 400, "ranges[0]" },
        { "covers the IPv6 mesh", ["fd00::/8"], 400, "ranges[0]" },
        { "another gateway's range", ["172.16.5.0/24"], 409, "ranges[0]" },
    };

    [Theory]
    [MemberData(nameof(BadEgress))]
    public async Task Bad_egress_is_refused_naming_the_field_and_changes_nothing(string row, string[] ranges, int status, string field)
    {
        using var s = await GatewayScenario.CreateAsync();
        var other = await s.JoinAsync("other");
        var gw = await s.JoinAsync("gw");
        await s.EgressAsync(other.NodeId, "172.16.0.0/16");
        await s.EgressAsync(gw.NodeId, "192.168.100.0/24");
        var before = await s.StateAsync();
        var problem = await s.ProblemAsync(s.Admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/egress", new EgressRequest { Ranges = ranges }), status);
        Assert.True(problem.Errors!.ContainsKey(field), $"{row}: {problem.Describe()}");
        if (status == 409)
        {
            Assert.Contains("'other'", problem.Describe(), StringComparison.Ordinal); // names the node that has the range
        }
        Assert.Equal(before, await s.StateAsync());
    }

    [Fact]
    public async Task Internet_gateways_may_coexist_and_a_node_chooses_one()
    {
        using var s = await GatewayScenario.CreateAsync();
        var a = await s.JoinAsync("a");
        var gw1 = await s.JoinAsync("gw1");
        var gw2 = await s.JoinAsync("gw2");
        var lan = await s.JoinAsync("lan");
        await s.EgressAsync(gw1.NodeId, "0.0.0.0/0", "::/0");
        await s.EgressAsync(gw2.NodeId, "0.0.0.0/0", "192.168.1.0/24");
        await s.EgressAsync(lan.NodeId, "192.168.9.0/24");

        var before = await s.StateAsync();
        foreach (var (value, why) in new[] { (a.NodeId, "own"), (lan.NodeId, "no default route"), ("nope", "unknown") })
        {
            var p = await s.ProblemAsync(s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { InternetGateway = value }), 400);
            Assert.True(p.Errors!.ContainsKey("internetGateway"), why);
        }
        Assert.Equal(before, await s.StateAsync());

        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { InternetGateway = gw1.NodeId }))
        {
            Assert.Equal(gw1.NodeId, (await s.OkAsync<NodeDto>(r)).InternetGateway);
        }
        var config = await s.ConfigAsync(a);
        Assert.Equal(gw1.NodeId, config.Interface.InternetGateway);
        // Peer records stay the same for every member: no default route in them (the agent adds it for its chosen gateway).
        Assert.Equal(["10.10.0.2/32", "fd10::2/128"], config.Peers.Single(p => p.NodeId == gw1.NodeId).AllowedIps);
        Assert.Equal(["10.10.0.3/32", "fd10::3/128", "192.168.1.0/24"], config.Peers.Single(p => p.NodeId == gw2.NodeId).AllowedIps);

        // Dropping the default route from the gateway sends the node back to its own.
        await s.EgressAsync(gw1.NodeId, "192.168.50.0/24");
        Assert.Null((await s.ConfigAsync(a)).Interface.InternetGateway);
        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { InternetGateway = gw2.NodeId }))
        {
            await Http.EnsureAsync(r);
        }
        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { InternetGateway = "" }))
        {
            Assert.Null((await s.OkAsync<NodeDto>(r)).InternetGateway);
        }
    }

    [Fact]
    public async Task Ingress_role_options_and_delete_with_clients_needs_force()
    {
        using var s = await GatewayScenario.CreateAsync();
        var a = await s.JoinAsync("a");
        var gw = await s.JoinAsync("gw");
        var ingress = await s.IngressAsync(gw.NodeId);
        Assert.True(ingress.Nat); // NAT is the default
        Assert.Empty(ingress.Dns);
        ingress = await s.IngressAsync(gw.NodeId, nat: false, dns: ["1.1.1.1", "2606:4700:4700::1111", "corp.example"]);
        Assert.False(ingress.Nat);
        Assert.Equal(["1.1.1.1", "2606:4700:4700::1111", "corp.example"], ingress.Dns);

        var p = await s.ProblemAsync(s.Admin.PutAsJsonAsync($"/api/v1/nodes/{gw.NodeId}/ingress", new IngressRequest { Dns = ["1.1.1.1", "not a name!"] }), 400);
        Assert.True(p.Errors!.ContainsKey("dns[1]"));
        await s.ProblemAsync(s.Admin.PutAsJsonAsync("/api/v1/nodes/nope/ingress", new IngressRequest()), 404);

        var client = await s.ExtClientAsync(gw.NodeId, "phone");
        Assert.Equal(1, (await s.Admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{gw.NodeId}"))!.Ingress!.ExtClientCount);
        // Route mode: the other members reach the client through the gateway.
        Assert.Contains($"{client.Ipv4Address}/32", (await s.ConfigAsync(a)).Peers.Single().AllowedIps);

        var before = await s.StateAsync();
        var conflict = await s.ProblemAsync(s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/ingress"), 409);
        Assert.Contains("force", conflict.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await s.StateAsync());

        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/ingress?force=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.Empty((await s.Admin.GetFromJsonAsync<List<ExtClientDto>>("/api/v1/networks/home/ext-clients"))!);
        Assert.Null((await s.ConfigAsync(gw)).Gateway);
        Assert.DoesNotContain($"{client.Ipv4Address}/32", (await s.ConfigAsync(a)).Peers.Single().AllowedIps);
        // The deleted client's address is held back: the next client gets a fresh one.
        await s.IngressAsync(gw.NodeId);
        Assert.NotEqual(client.Ipv4Address, (await s.ExtClientAsync(gw.NodeId)).Ipv4Address);
    }

    [Fact]
    public async Task Deleting_a_gateway_node_removes_its_roles_clients_and_the_choice_of_it()
    {
        using var s = await GatewayScenario.CreateAsync();
        var a = await s.JoinAsync("a");
        var gw = await s.JoinAsync("gw");
        await s.IngressAsync(gw.NodeId);
        await s.EgressAsync(gw.NodeId, "0.0.0.0/0", "192.168.1.0/24");
        await s.ExtClientAsync(gw.NodeId, "phone");
        using (var r = await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { InternetGateway = gw.NodeId }))
        {
            await Http.EnsureAsync(r);
        }
        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.Empty((await s.Admin.GetFromJsonAsync<List<ExtClientDto>>("/api/v1/networks/home/ext-clients"))!);
        var config = await s.ConfigAsync(a);
        Assert.Null(config.Interface.InternetGateway);
        Assert.Empty(config.Peers);
        Assert.Empty(config.Dns!.Records);
        // The range is free for another gateway now.
        await s.EgressAsync(a.NodeId, "192.168.1.0/24");
    }

    [Fact]
    public async Task Force_deleting_a_network_takes_its_gateways_clients_and_entries_along()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw");
        await s.IngressAsync(gw.NodeId);
        await s.EgressAsync(gw.NodeId, "192.168.1.0/24");
        await s.ExtClientAsync(gw.NodeId, "phone");
        using (var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "nas", Type = "A", Value = "192.168.1.2" }))
        {
            await Http.EnsureAsync(r);
        }
        using (var r = await s.Admin.DeleteAsync("/api/v1/networks/home?force=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        // A new network of the same name starts empty.
        await s.Server.CreateNetworkAsync("home", "10.10.0.0/24");
        Assert.Empty((await s.Admin.GetFromJsonAsync<List<DnsEntryDto>>("/api/v1/networks/home/dns"))!);
        Assert.Empty((await s.Admin.GetFromJsonAsync<List<ExtClientDto>>("/api/v1/networks/home/ext-clients"))!);
    }
}
