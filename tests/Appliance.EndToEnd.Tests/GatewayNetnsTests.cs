using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// Gateways on real WireGuard with the real server and agents, once per firewall backend: an ext client whose
/// wg-quick file came from the API (loaded by the real wg-quick into wireguard-go) reaches the mesh through an
/// ingress gateway and resolves mesh names with the gateway's DNS server; LAN-only hosts behind egress gateways
/// answer the mesh (masqueraded, or with the original source when NAT is off); two LANs reach each other
/// site-to-site; rules flushed by other software under a running agent come back within seconds; after `leave`
/// nothing of ours is left in the gateway's firewall.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class GatewayNetnsTests : IAsyncLifetime
{
    private const string Lan1 = "192.168.201.0/24";
    private const string Lan2 = "192.168.202.0/24";
    private const string H1 = "192.168.201.10";
    private const string H2 = "192.168.202.10";
    private const string Internet = "198.18.0.10";
    private MeshLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("gw");
        foreach (var tool in new[] { "wg-quick", "tcpdump", "curl", "nft", "iptables-legacy-save", "getent" })
        {
            Prerequisites.RequireProgram(tool);
        }
        await _lab.CreateUnderlayAsync();
        foreach (var n in new[] { "s", "a", "g1", "g2", "c" })
        {
            await _lab.AddHostAsync(n);
        }
        // LAN-only hosts: each knows only its own LAN and the other site's LAN (via its gateway), never the mesh.
        await LanAsync("g1", "h1", "192.168.201.1", H1, Lan2);
        await LanAsync("g2", "h2", "192.168.202.1", H2, Lan1);
    }

    private async Task LanAsync(string gateway, string host, string gatewayIp, string hostIp, string otherSite)
    {
        await _lab.AddNamespaceAsync(host);
        await MeshLab.Ip("link", "add", "lan0", "netns", _lab.Ns(gateway), "type", "veth", "peer", "name", "lan0", "netns", _lab.Ns(host));
        await MeshLab.Ip("-n", _lab.Ns(gateway), "addr", "add", gatewayIp + "/24", "dev", "lan0");
        await MeshLab.Ip("-n", _lab.Ns(host), "addr", "add", hostIp + "/24", "dev", "lan0");
        await MeshLab.Ip("-n", _lab.Ns(gateway), "link", "set", "lan0", "up");
        await MeshLab.Ip("-n", _lab.Ns(host), "link", "set", "lan0", "up");
        await MeshLab.Ip("-n", _lab.Ns(host), "route", "add", otherSite, "via", gatewayIp);
    }

    public static TheoryData<string> Backends => new() { "nftables", "iptables-legacy" };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Ext_clients_egress_and_site_to_site_work_through_gateways_and_leave_cleans_up(string backend)
    {
        var lab = _lab;
        await lab.StartServerAsync();
        (await lab.Cli("network", "create", "mesh", "--ipv4", "10.77.0.0/24")).EnsureSuccess("network create");
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>((await lab.Cli("key", "create", "--network", "mesh", "--json")).EnsureSuccess("key create").StdOut, MeshLab.Json)!;
        foreach (var n in new[] { "a", "g1", "g2" })
        {
            await lab.JoinAsync(n, key.Token!);
            lab.StartAgent(n, "--firewall", backend);
        }
        var nodes = (await lab.ApiAsync<List<NodeDto>>("GET", "/api/v1/networks/mesh/nodes")).ToDictionary(n => n.Name);
        string Mesh(string n) => nodes[n].Ipv4Address!.Split('/')[0];

        // Roles through the admin CLI (g1) and the API (g2).
        (await lab.Cli("node", "egress", nodes["g1"].Id, "--range", Lan1)).EnsureSuccess("node egress");
        await lab.ApiAsync<EgressDto>("PUT", $"/api/v1/nodes/{nodes["g2"].Id}/egress", new EgressRequest { Ranges = [Lan2], Nat = true });
        (await lab.Cli("node", "ingress", nodes["g1"].Id, "--no-nat")).EnsureSuccess("node ingress");
        // A second gateway may not claim part of g1's LAN: a clear 409 naming the range, nothing changed.
        var (clash, clashBody) = await lab.ApiAsync("PUT", $"/api/v1/nodes/{nodes["g2"].Id}/egress", "{\"ranges\":[\"192.168.201.0/25\"]}");
        Assert.Equal(409, clash);
        Assert.Contains("ranges[0]", clashBody, StringComparison.Ordinal);

        // A mesh node reaches the LAN-only host behind g1, which sees g1's LAN address (masquerade).
        await lab.WaitForAsync("a to reach the mesh", () => lab.PingAsync("a", Mesh("g1")), TimeSpan.FromSeconds(40));
        await lab.WaitForAsync("a to reach h1 behind g1", () => lab.PingAsync("a", H1), TimeSpan.FromSeconds(30));
        Assert.Equal("192.168.201.1", await EchoSourceSeenAsync("h1", from: "a", to: H1));

        // Another program flushes g1's firewall under the running agent (what an fw4 or firewalld reload does): the
        // agent's periodic check puts its rules back within seconds, and the LAN behind g1 is reachable again.
        async Task<bool> G1RulesPresent() => backend == "nftables"
            ? (await lab.In("g1", "nft", "list", "tables")).StdOut.Contains("table inet appliance", StringComparison.Ordinal)
            : (await lab.In("g1", "iptables-legacy-save")).StdOut.Contains("-j APPLIANCE-FWD", StringComparison.Ordinal);
        Assert.True(await G1RulesPresent(), "g1's rules before the flush");
        if (backend == "nftables")
        {
            (await lab.In("g1", "nft", "flush", "ruleset")).EnsureSuccess("nft flush ruleset");
        }
        else
        {
            (await lab.In("g1", "iptables-legacy", "-F")).EnsureSuccess("iptables -F");
            (await lab.In("g1", "iptables-legacy", "-X")).EnsureSuccess("iptables -X");
        }
        Assert.False(await G1RulesPresent(), "the flush removed g1's rules");
        await lab.WaitForAsync("g1's rules to come back after the flush", G1RulesPresent, TimeSpan.FromSeconds(10));
        await lab.WaitForAsync("a to reach h1 behind g1 again", () => lab.PingAsync("a", H1), TimeSpan.FromSeconds(10));

        // Site to site: each LAN host reaches the other through both gateways and the mesh.
        await lab.WaitForAsync("h1 to reach h2 site-to-site", () => lab.PingAsync("h1", H2), TimeSpan.FromSeconds(30));
        Assert.True(await lab.PingAsync("h2", H1), "h2 cannot reach h1");

        // Internet gateway: g2 also routes 0.0.0.0/0 (its "internet" is a host behind h2); a sends its internet
        // traffic through g2 and keeps talking to the server (later changes still reach it, below).
        await MeshLab.Ip("-n", lab.Ns("h2"), "addr", "add", Internet + "/32", "dev", "lo");
        await MeshLab.Ip("-n", lab.Ns("g2"), "route", "add", Internet + "/32", "via", H2);
        await lab.ApiAsync<EgressDto>("PUT", $"/api/v1/nodes/{nodes["g2"].Id}/egress", new EgressRequest { Ranges = [Lan2, "0.0.0.0/0"], Nat = true });
        Assert.False(await lab.PingAsync("a", Internet), "a reached the internet host before choosing a gateway");
        await lab.ApiAsync<NodeDto>("PATCH", $"/api/v1/nodes/{nodes["a"].Id}", new UpdateNodeRequest { InternetGateway = nodes["g2"].Id });
        await lab.WaitForAsync("a to reach the internet through g2", () => lab.PingAsync("a", Internet), TimeSpan.FromSeconds(30));
        Assert.True(await lab.PingAsync("a", H1), "a lost g1's LAN when it chose g2 as internet gateway");

        // The ext client: its wg-quick file from the API, loaded by the real wg-quick (userspace wireguard-go).
        var phone = JsonSerializer.Deserialize<ExtClientDto>((await lab.Cli("ext-client", "create", "mesh", "--gateway", "g1", "--name", "phone", "--json"))
            .EnsureSuccess("ext-client create").StdOut, MeshLab.Json)!;
        var conf = (await lab.Cli("ext-client", "config", phone.Id)).EnsureSuccess("ext-client config").StdOut;
        Assert.Contains("PrivateKey = ", conf, StringComparison.Ordinal);
        Assert.Contains($"DNS = {Mesh("g1")}", conf, StringComparison.Ordinal);
        await lab.WgQuickUpAsync("c", conf);
        await lab.WaitForAsync("the ext client to reach a through g1", () => lab.PingAsync("c", Mesh("a")), TimeSpan.FromSeconds(40));
        await lab.WaitForAsync("the ext client to reach h1 behind g1", () => lab.PingAsync("c", H1), TimeSpan.FromSeconds(20));

        // Names: the DNS line of the wg-quick file points at g1's embedded DNS server, which knows the mesh.
        await lab.WaitForAsync("the ext client to resolve a.mesh", async () =>
            (await lab.In("c", "getent", "hosts", "a.mesh")).StdOut.StartsWith(Mesh("a"), StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.True(await lab.PingAsync("c", "a.mesh"), "the ext client cannot ping a by name");

        // a (behind its internet gateway) still follows the server: the new client's name reached its hosts file.
        await lab.WaitForAsync("a to learn the ext client's name", async () =>
            (await File.ReadAllTextAsync(lab.Dir.Combine("hosts-a"))).Contains("phone.mesh", StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        // Disabled it cannot; enabled again it can.
        (await lab.Cli("ext-client", "disable", phone.Id)).EnsureSuccess("ext-client disable");
        await lab.WaitForAsync("the disabled ext client to be cut off", async () => !await lab.PingAsync("c", Mesh("a")), TimeSpan.FromSeconds(20));
        await lab.ApiAsync<ExtClientDto>("PATCH", $"/api/v1/ext-clients/{phone.Id}", new UpdateExtClientRequest { Enabled = true });
        await lab.WaitForAsync("the re-enabled ext client to reach a", () => lab.PingAsync("c", Mesh("a")), TimeSpan.FromSeconds(30));

        // The gateway reported the client's counters and handshake to the server.
        await lab.WaitForAsync("the ext client's counters on the server", async () =>
            (await lab.ApiAsync<ExtClientDto>("GET", $"/api/v1/ext-clients/{phone.Id}")) is { RxBytes: > 0, LastHandshake: not null }, TimeSpan.FromSeconds(45));

        // NAT off and a return route on the LAN host: the original mesh source arrives.
        await lab.ApiAsync<EgressDto>("PUT", $"/api/v1/nodes/{nodes["g1"].Id}/egress", new EgressRequest { Ranges = [Lan1], Nat = false });
        await MeshLab.Ip("-n", lab.Ns("h1"), "route", "add", "10.77.0.0/24", "via", "192.168.201.1");
        await lab.WaitForAsync("h1 to see a's own address", async () => await EchoSourceSeenAsync("h1", from: "a", to: H1) == Mesh("a"), TimeSpan.FromSeconds(30));

        // g1 leaves: nothing of ours stays in its firewall, and forwarding is back as it was.
        await lab.Agents["g1"].StopAsync();
        var leave = await lab.In("g1", "dotnet", Binaries.Agent, "leave", "--state-dir", lab.Dir.Combine("state-g1"), "--hosts-file", lab.Dir.Combine("hosts-g1"));
        Assert.True(leave.ExitCode == 0, leave.StdOut + leave.StdErr);
        var nft = (await lab.In("g1", "nft", "list", "ruleset")).StdOut;
        Assert.DoesNotContain("appliance", nft, StringComparison.OrdinalIgnoreCase);
        var ipt = (await lab.In("g1", "iptables-legacy-save")).StdOut + (await lab.In("g1", "ip6tables-legacy-save")).StdOut;
        Assert.DoesNotContain("APPLIANCE", ipt, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("0", (await lab.In("g1", "cat", "/proc/sys/net/ipv4/ip_forward")).StdOut.Trim());
    }

    /// <summary>Pings once from <paramref name="from"/> while tcpdump on the LAN host notes the echo request's source.</summary>
    private async Task<string?> EchoSourceSeenAsync(string lanHost, string from, string to)
    {
        var dump = _lab.Start(lanHost, "tcpdump", "-l", "-n", "-i", "lan0", "-c", "1", "icmp[icmptype] == icmp-echo");
        await Task.Delay(1000); // tcpdump needs a moment to attach
        var source = default(string);
        var pings = new List<bool>();
        for (var i = 0; i < 10 && source is null; i++)
        {
            pings.Add(await _lab.PingAsync(from, to));
            await Task.Delay(200); // tcpdump's line arrives a moment after the echo
            var line = dump.Log.Split('\n').FirstOrDefault(l => l.Contains("ICMP echo request", StringComparison.Ordinal));
            source = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "IP").Skip(1).FirstOrDefault();
        }
        await dump.StopAsync();
        if (source is null)
        {
            return $"(nothing seen; pings {string.Join(",", pings)}; tcpdump said: {dump.Log.Trim()})";
        }
        return source;
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
