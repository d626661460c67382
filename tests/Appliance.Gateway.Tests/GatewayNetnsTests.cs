using Appliance.Gateway.Model;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// The role reconciler against real kernels in throwaway namespaces, for each backend:
/// mesh node (ns "m", also holding an enabled and a disabled ext-client address) — gateway (ns "g", mesh
/// interface "wg0" simulated by a veth, LAN "lan0") — LAN host (ns "l", no route back to the mesh).
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class GatewayNetnsTests
{
    private const string Node = "10.10.0.2";
    private const string Enabled = "10.10.0.100";
    private const string Disabled = "10.10.0.101";
    private const string GatewayLan = "192.168.1.1";
    private const string LanHost = "192.168.1.10";
    private const string UnrelatedHost = "192.168.9.10";

    private static GatewayFirewallSpec Spec(bool nat) => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.10.0.0/24", "fd10::/64"],
        Ingress = new IngressSpec
        {
            Nat = nat,
            Clients =
            [
                new ExtClientSpec { Name = "phone", Addresses = [Enabled] },
                new ExtClientSpec { Name = "expired", Addresses = [Disabled], Allowed = false },
            ],
        },
        Egress = new EgressSpec { Ranges = ["192.168.1.0/24"], Nat = nat },
    };

    private sealed record Topology(string Mesh, string Gateway, string Lan);

    private static async Task<Topology> BuildAsync(GatewayLab lab)
    {
        var m = await lab.AddNamespaceAsync("m");
        var g = await lab.AddNamespaceAsync("g");
        var l = await lab.AddNamespaceAsync("l");
        await GatewayLab.VethAsync(m, "m0", Node + "/24", g, "wg0", "10.10.0.1/24");
        await GatewayLab.Ip("-n", m, "addr", "add", Enabled + "/24", "dev", "m0");
        await GatewayLab.Ip("-n", m, "addr", "add", Disabled + "/24", "dev", "m0");
        await GatewayLab.Ip("-n", m, "route", "add", "192.168.0.0/16", "via", "10.10.0.1");
        await GatewayLab.VethAsync(g, "lan0", GatewayLan + "/24", l, "eth0", LanHost + "/24");
        // A second LAN subnet that is not an egress range.
        await GatewayLab.Ip("-n", g, "addr", "add", "192.168.9.1/24", "dev", "lan0");
        await GatewayLab.Ip("-n", l, "addr", "add", UnrelatedHost + "/24", "dev", "eth0");
        return new Topology(m, g, l);
    }

    private static GatewayRoleReconciler Reconciler(string backend, string ns, string stateFile)
    {
        var runner = GatewayLab.Runner(ns);
        return new GatewayRoleReconciler(FirewallBackendDetector.Create(backend, runner), new ForwardingSysctl(new CommandSysctl(runner), stateFile));
    }

    /// <summary>Everything of other software's that must survive our apply and removal.</summary>
    private static async Task AddOtherSoftwareAsync(string ns)
    {
        const string Other = "table inet other {\n\tchain forward_other {\n\t\ttype filter hook forward priority 10; policy accept;\n\t\tip saddr 203.0.113.0/24 counter accept\n\t}\n}\n";
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], stdin: Other, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("nft other");
        await GatewayLab.ExecAsync(ns, "iptables-legacy", "-A", "FORWARD", "-s", "198.51.100.0/24", "-j", "ACCEPT");
        await GatewayLab.ExecAsync(ns, "iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-s", "198.51.100.0/24", "-o", "lan0", "-j", "MASQUERADE");
    }

    private static async Task<string> OtherSoftwareAsync(string ns) =>
        await GatewayLab.ExecAsync(ns, "nft", "list", "table", "inet", "other") +
        string.Join('\n', (await GatewayLab.ExecAsync(ns, "iptables-legacy-save")).Split('\n').Where(l => l.Contains("198.51.100.0/24", StringComparison.Ordinal)));

    private static async Task AssertNothingOfOursAsync(string ns)
    {
        var ruleset = await GatewayLab.ExecAsync(ns, "nft", "list", "ruleset");
        Assert.DoesNotContain("appliance", ruleset, StringComparison.OrdinalIgnoreCase);
        foreach (var save in new[] { "iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save" })
        {
            Assert.DoesNotContain("APPLIANCE", await GatewayLab.ExecAsync(ns, save), StringComparison.Ordinal);
        }
    }

    private static async Task<string> ForwardingAsync(string ns) =>
        (await GatewayLab.ExecAsync(ns, "sysctl", "-n", ForwardingSysctl.Ipv4Key, ForwardingSysctl.Ipv6Key)).Replace("\n", " ", StringComparison.Ordinal).Trim();

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables-legacy")]
    [InlineData("iptables-nft")]
    public async Task Nat_on_mesh_and_enabled_client_reach_the_lan_as_the_gateway(string backend)
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var t = await BuildAsync(lab);
        await AddOtherSoftwareAsync(t.Gateway);
        var other = await OtherSoftwareAsync(t.Gateway);
        Assert.Equal("0 0", await ForwardingAsync(t.Gateway));
        await GatewayLab.CountEchoSourcesAsync(t.Lan, GatewayLan, Node, Enabled);
        var r = Reconciler(backend, t.Gateway, dir.Combine("fwd.state"));

        Assert.True(await r.ApplyAsync(Spec(nat: true)));
        Assert.True(await r.Firewall.IsPresentAsync());
        Assert.Equal("1 1", await ForwardingAsync(t.Gateway));
        Assert.False(await r.ApplyAsync(Spec(nat: true)));

        // The LAN host has no route to 10.10.0.0/24: only masqueraded requests can be answered.
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Node), "mesh node -> LAN host");
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Enabled), "enabled ext client -> LAN host");
        Assert.True(await GatewayLab.EchoCountAsync(t.Lan, GatewayLan) >= 4, "the LAN host saw the gateway's LAN address as source");
        Assert.Equal(0, await GatewayLab.EchoCountAsync(t.Lan, Node));

        Assert.False(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "disabled ext client must be dropped");
        Assert.False(await GatewayLab.PingsAsync(t.Mesh, UnrelatedHost, Node), "a range that is not an egress range");

        Assert.Equal(other, await OtherSoftwareAsync(t.Gateway));
        Assert.True(await r.RemoveAsync());
        Assert.False(await r.Firewall.IsPresentAsync());
        await AssertNothingOfOursAsync(t.Gateway);
        Assert.Equal("0 0", await ForwardingAsync(t.Gateway));
        Assert.Equal(other, await OtherSoftwareAsync(t.Gateway));
        Assert.False(File.Exists(dir.Combine("fwd.state")));
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables-legacy")]
    public async Task Nat_off_keeps_the_source_and_lan_cannot_open_connections_into_the_mesh(string backend)
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var t = await BuildAsync(lab);
        await GatewayLab.Ip("-n", t.Lan, "route", "add", "10.10.0.0/24", "via", GatewayLan);
        // Forwarding was already on before us (an existing router): it must stay on after removal.
        await GatewayLab.ExecAsync(t.Gateway, "sysctl", "-q", "-w", ForwardingSysctl.Ipv4Key + "=1");
        await GatewayLab.CountEchoSourcesAsync(t.Lan, GatewayLan, Node, Enabled);
        // Without our rules a forwarding router passes LAN -> mesh; with them it must not.
        Assert.True(await GatewayLab.PingsAsync(t.Lan, Node), "baseline: LAN -> mesh is forwarded before we apply");
        var r = Reconciler(backend, t.Gateway, dir.Combine("fwd.state"));

        await r.ApplyAsync(Spec(nat: false));
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Node), "mesh node -> LAN host, routed");
        Assert.True(await GatewayLab.EchoCountAsync(t.Lan, Node) >= 2, "the LAN host saw the mesh node's own address");
        Assert.Equal(0, await GatewayLab.EchoCountAsync(t.Lan, GatewayLan));
        Assert.False(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "disabled ext client must be dropped");
        Assert.False(await GatewayLab.PingsAsync(t.Lan, Node), "LAN -> mesh is not a role we were given");

        // Enabling the client is one reload and takes effect.
        var enabled = Spec(nat: false) with
        {
            Ingress = Spec(nat: false).Ingress! with { Clients = [new ExtClientSpec { Name = "phone", Addresses = [Enabled] }, new ExtClientSpec { Name = "expired", Addresses = [Disabled] }] },
        };
        Assert.True(await r.ApplyAsync(enabled));
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "re-enabled ext client passes");

        await r.RemoveAsync();
        await AssertNothingOfOursAsync(t.Gateway);
        Assert.Equal("1 0", await ForwardingAsync(t.Gateway));
    }

    /// <summary>Passes commands through to a real runner, corrupting the next ruleset load near its end.</summary>
    private sealed class CorruptingRunner(Commands.ICommandRunner inner) : Commands.ICommandRunner
    {
        public bool Corrupt { get; set; }

        public Task<Commands.CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
        {
            if (Corrupt && stdin is not null && stdin.Length > 100)
            {
                // A rule the kernel side rejects after everything before it was accepted by the parser.
                stdin = program == "nft"
                    ? stdin + "add rule inet appliance mesh_forward ip saddr @no_such_set drop\n"
                    : stdin.Insert(stdin.IndexOf("COMMIT", StringComparison.Ordinal), "-A APPLIANCE-FWD -m no_such_match -j DROP\n");
            }
            return inner.RunAsync(program, arguments, stdin, cancellationToken);
        }
    }

    [Theory]
    [InlineData("nftables", "nft list table inet appliance")]
    [InlineData("iptables-legacy", "iptables-legacy-save")]
    public async Task Failed_apply_leaves_the_previous_ruleset_in_place(string backend, string dump)
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var t = await BuildAsync(lab);
        var runner = new CorruptingRunner(GatewayLab.Runner(t.Gateway));
        var r = new GatewayRoleReconciler(FirewallBackendDetector.Create(backend, runner), new ForwardingSysctl(new Sysctl.CommandSysctl(runner), dir.Combine("fwd.state")));
        await r.ApplyAsync(Spec(nat: true));
        var before = Normalise(await GatewayLab.ExecAsync(t.Gateway, dump.Split(' ')));

        runner.Corrupt = true;
        var e = await Assert.ThrowsAsync<Commands.FirewallCommandException>(() => r.ApplyAsync(Spec(nat: false)));
        Assert.NotEqual(0, e.ExitCode);
        Assert.Equal(before, Normalise(await GatewayLab.ExecAsync(t.Gateway, dump.Split(' '))));
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Node), "the previous (NAT) rules still work");
        Assert.Equal(GatewayFirewallPlan.Create(Spec(nat: true)), r.Applied);

        runner.Corrupt = false;
        await r.RemoveAsync();
        await AssertNothingOfOursAsync(t.Gateway);
    }

    /// <summary>Drops iptables-save's timestamps and counters so two dumps of the same rules compare equal.</summary>
    private static string Normalise(string dump) =>
        string.Join('\n', dump.Split('\n').Where(l => !l.StartsWith('#')).Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\[\d+:\d+\]", "[0:0]")));

    [Fact]
    public async Task Site_to_site_two_lans_reach_each_other_through_two_gateways()
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var l1 = await lab.AddNamespaceAsync("l1");
        var g1 = await lab.AddNamespaceAsync("g1");
        var g2 = await lab.AddNamespaceAsync("g2");
        var l2 = await lab.AddNamespaceAsync("l2");
        await GatewayLab.VethAsync(l1, "eth0", "192.168.1.10/24", g1, "lan0", "192.168.1.1/24");
        await GatewayLab.VethAsync(g1, "wg0", "10.10.0.1/24", g2, "wg0", "10.10.0.2/24");
        await GatewayLab.VethAsync(g2, "lan0", "192.168.2.1/24", l2, "eth0", "192.168.2.10/24");
        await GatewayLab.Ip("-n", l1, "route", "add", "default", "via", "192.168.1.1");
        await GatewayLab.Ip("-n", l2, "route", "add", "default", "via", "192.168.2.1");
        // What WireGuard's allowed IPs and the agent's routes would do: the other site's LAN via the mesh.
        await GatewayLab.Ip("-n", g1, "route", "add", "192.168.2.0/24", "via", "10.10.0.2");
        await GatewayLab.Ip("-n", g2, "route", "add", "192.168.1.0/24", "via", "10.10.0.1");
        await GatewayLab.CountEchoSourcesAsync(l2, "192.168.1.10");

        static GatewayFirewallSpec Site(string own, string remote) => new()
        {
            MeshInterface = "wg0",
            MeshRanges = ["10.10.0.0/24"],
            Egress = new EgressSpec { Ranges = [own], Nat = false },
            RemoteRanges = [remote],
        };
        // One site on each backend: the rules must agree across implementations.
        var r1 = Reconciler("nftables", g1, dir.Combine("g1.state"));
        var r2 = Reconciler("iptables-legacy", g2, dir.Combine("g2.state"));
        await r1.ApplyAsync(Site("192.168.1.0/24", "192.168.2.0/24"));
        await r2.ApplyAsync(Site("192.168.2.0/24", "192.168.1.0/24"));

        Assert.True(await GatewayLab.PingsAsync(l1, "192.168.2.10"), "site 1 -> site 2");
        Assert.True(await GatewayLab.PingsAsync(l2, "192.168.1.10"), "site 2 -> site 1");
        Assert.True(await GatewayLab.EchoCountAsync(l2, "192.168.1.10") >= 2, "site 2 sees site 1's own addresses (routed, no NAT)");
        // The gateways' LANs may not reach the mesh addresses themselves: only the remote ranges.
        Assert.False(await GatewayLab.PingsAsync(l1, "10.10.0.2"), "LAN -> a mesh address is not forwarded");

        await r1.RemoveAsync();
        await r2.RemoveAsync();
        await AssertNothingOfOursAsync(g1);
        await AssertNothingOfOursAsync(g2);
        Assert.Equal("0", (await GatewayLab.ExecAsync(g1, "sysctl", "-n", ForwardingSysctl.Ipv4Key)).Trim());
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables-legacy")]
    public async Task Ext_clients_and_mesh_nodes_talk_through_the_ingress_with_nat(string backend)
    {
        // The mesh "interface" is a bridge wg0 in the gateway with the mesh node and the ext-client device as ports:
        // both sit behind wg0, as WireGuard peers do, so their traffic is routed in and out of wg0 by the gateway.
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var m = await lab.AddNamespaceAsync("m");
        var g = await lab.AddNamespaceAsync("g");
        var e = await lab.AddNamespaceAsync("e");
        await GatewayLab.Ip("-n", g, "link", "add", "wg0", "type", "bridge");
        await GatewayLab.Ip("-n", g, "addr", "add", "10.10.0.1/24", "dev", "wg0");
        await GatewayLab.Ip("-n", g, "link", "set", "wg0", "up");
        foreach (var (ns, port) in new[] { (m, "pm"), (e, "pe") })
        {
            await GatewayLab.Ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", g);
            await GatewayLab.Ip("-n", g, "link", "set", port, "master", "wg0", "up");
            await GatewayLab.Ip("-n", ns, "link", "set", "eth0", "up");
            // No ICMP redirects: the peers must keep going through the gateway, as with WireGuard.
            await GatewayLab.ExecAsync(ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.accept_redirects=0");
        }
        await GatewayLab.ExecAsync(g, "sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.wg0.send_redirects=0");
        await GatewayLab.Ip("-n", m, "addr", "add", Node + "/32", "dev", "eth0");
        await GatewayLab.Ip("-n", e, "addr", "add", Enabled + "/32", "dev", "eth0");
        await GatewayLab.Ip("-n", e, "addr", "add", Disabled + "/32", "dev", "eth0");
        foreach (var ns in new[] { m, e })
        {
            await GatewayLab.Ip("-n", ns, "route", "add", "10.10.0.1/32", "dev", "eth0");
            await GatewayLab.Ip("-n", ns, "route", "add", "10.10.0.0/24", "via", "10.10.0.1");
        }
        await GatewayLab.CountEchoSourcesAsync(m, "10.10.0.1", Enabled);
        var r = Reconciler(backend, g, dir.Combine("fwd.state"));

        await r.ApplyAsync(Spec(nat: true));
        Assert.True(await GatewayLab.PingsAsync(e, Node, Enabled), "enabled ext client -> mesh node");
        Assert.True(await GatewayLab.EchoCountAsync(m, "10.10.0.1") >= 2, "ingress NAT: the mesh node sees the gateway's mesh address");
        Assert.Equal(0, await GatewayLab.EchoCountAsync(m, Enabled));
        Assert.False(await GatewayLab.PingsAsync(e, Node, Disabled), "disabled ext client -> mesh node is dropped");

        await r.ApplyAsync(Spec(nat: false));
        Assert.True(await GatewayLab.PingsAsync(e, Node, Enabled), "routed ext client -> mesh node");
        Assert.True(await GatewayLab.EchoCountAsync(m, Enabled) >= 2, "without NAT the mesh node sees the ext client's address");
        Assert.True(await GatewayLab.PingsAsync(m, Enabled), "mesh node -> ext client");
        Assert.False(await GatewayLab.PingsAsync(m, Disabled), "mesh node -> disabled ext client is dropped");

        await r.RemoveAsync();
        await AssertNothingOfOursAsync(g);
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables-legacy")]
    [InlineData("iptables-nft")]
    public async Task The_mesh_reaches_only_dns_on_the_gateway_itself_while_forwarding_still_works(string backend)
    {
        Prerequisites.RequireProgram("dig");
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var t = await BuildAsync(lab);
        await File.WriteAllTextAsync(dir.Combine("hosts"), Node + " node.mesh\n");
        // One appliance-dns in the gateway: DNS on its mesh address (port 53), and the same server on another port
        // and on the gateway's LAN address standing in for any other service the gateway runs.
        var dns = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", t.Gateway, "dotnet", DnsProcess.OurDll(), "--listen", "10.10.0.1:53", "--listen", "10.10.0.1:8053",
            "--listen", GatewayLan + ":53", "--hosts", dir.Combine("hosts"), "--zone", "mesh", "--allow", "0.0.0.0/0" })
        {
            dns.ArgumentList.Add(a);
        }
        using var server = System.Diagnostics.Process.Start(dns)!;
        var serverLog = ProcessOutput.Capture(server);
        try
        {
            var r = Reconciler(backend, t.Gateway, dir.Combine("fwd.state"));
            async Task<bool> Resolves(string from, string to, int port, bool tcp) =>
                (await ProcessRunner.RunAsync("ip", ["netns", "exec", from, "dig", "+short", "+tries=1", "+time=1", tcp ? "+tcp" : "+notcp",
                    "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "@" + to, "node.mesh"], timeout: TimeSpan.FromSeconds(20))).StdOut.Trim() == Node;
            await Wait.UntilAsync(() => Resolves(t.Mesh, "10.10.0.1", 53, tcp: false), "appliance-dns to answer in the gateway", TimeSpan.FromSeconds(20),
                () => "appliance-dns log:\n" + serverLog.Text, TimeSpan.FromMilliseconds(100));
            // Before our rules, everything on the gateway answers the mesh.
            Assert.True(await Resolves(t.Mesh, "10.10.0.1", 8053, tcp: true), "before: another service on the mesh address");

            await r.ApplyAsync(Spec(nat: true) with { MeshAddresses = ["10.10.0.1"], ListenPort = 51820 });
            foreach (var tcp in new[] { false, true })
            {
                Assert.True(await Resolves(t.Mesh, "10.10.0.1", 53, tcp), $"mesh node -> DNS on the gateway's mesh address (tcp={tcp})");
                Assert.False(await Resolves(t.Mesh, "10.10.0.1", 8053, tcp), $"mesh node -> another service on the mesh address (tcp={tcp})");
                Assert.False(await Resolves(t.Mesh, GatewayLan, 53, tcp), $"mesh node -> the gateway's LAN address (tcp={tcp})");
            }
            // Ext clients sit behind the same interface: the same holds for them.
            Assert.True(await ResolvesFromAsync(t.Mesh, Enabled, 53), "ext client -> DNS on the gateway");
            Assert.False(await ResolvesFromAsync(t.Mesh, Enabled, 8053), "ext client -> another service on the gateway");
            // Forwarding to the egress range still works, and the gateway still answers ping.
            Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Node), "mesh node -> LAN host through the gateway");
            Assert.True(await GatewayLab.PingsAsync(t.Mesh, "10.10.0.1", Node), "mesh node -> ping the gateway");
            // The LAN side is not ours to close: the LAN host still reaches the gateway's services.
            Assert.True(await Resolves(t.Lan, GatewayLan, 53, tcp: true), "LAN host -> gateway DNS on its LAN address");

            await r.RemoveAsync();
            await AssertNothingOfOursAsync(t.Gateway);
            Assert.True(await Resolves(t.Mesh, "10.10.0.1", 8053, tcp: true), "after removal the gateway is as it was");
        }
        finally
        {
            // Only the server this test started, by its own handle.
            if (!server.HasExited)
            {
                server.Kill();
            }
            await server.WaitForExitAsync();
        }
    }

    /// <summary>A UDP query from an ext client's address (bound as the source) to the gateway's mesh address.</summary>
    private static async Task<bool> ResolvesFromAsync(string ns, string source, int port) =>
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "dig", "+short", "+tries=1", "+time=1", "-b", source,
            "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "@10.10.0.1", "node.mesh"], timeout: TimeSpan.FromSeconds(20))).StdOut.Trim() == Node;

    [Theory]
    [InlineData("nftables", "nft delete table inet appliance")]
    [InlineData("iptables-legacy", "iptables-legacy -F FORWARD")]
    public async Task Repair_puts_back_rules_another_program_removed(string backend, string vandal)
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-netns");
        var t = await BuildAsync(lab);
        await GatewayLab.Ip("-n", t.Lan, "route", "add", "10.10.0.0/24", "via", GatewayLan);
        var r = Reconciler(backend, t.Gateway, dir.Combine("fwd.state"));
        await r.ApplyAsync(Spec(nat: false));
        Assert.False(await r.RepairAsync());
        Assert.False(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "disabled ext client dropped");

        await GatewayLab.ExecAsync(t.Gateway, vandal.Split(' '));
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "with our rules gone the disabled client gets through");
        Assert.True(await r.RepairAsync());
        Assert.False(await GatewayLab.PingsAsync(t.Mesh, LanHost, Disabled), "dropped again after the repair");
        Assert.True(await GatewayLab.PingsAsync(t.Mesh, LanHost, Node));
        Assert.False(await r.RepairAsync());

        await r.RemoveAsync();
        await AssertNothingOfOursAsync(t.Gateway);
    }
}
