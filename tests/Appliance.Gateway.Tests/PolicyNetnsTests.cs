using Appliance.Contracts.Mesh;
using Appliance.Gateway.Model;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// Access-policy filters (issue #19) through the real backends in throwaway namespaces. The mesh interface is a veth
/// named wg0 (WireGuard adds nothing to what the filter sees: decrypted packets arrive on wg0); a second veth is the
/// underlay, where WireGuard's own UDP packets would arrive and which the filter must leave alone.
/// Node test: "a" holds office (10.10.0.3) and iot (10.10.0.9) on the mesh and 172.16.0.1 on the underlay; "n" is
/// the filtered node, 10.10.0.2 on wg0 and 172.16.0.2 on eth0.
/// Gateway test: "m" holds a mesh node (10.10.0.2) and an ext client (10.10.0.100); "g" the gateway (wg0 10.10.0.1,
/// lan0 192.168.1.1); "l" a LAN host 192.168.1.10 that routes the mesh back through the gateway.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class PolicyNetnsTests
{
    private const string Office = "10.10.0.3";
    private const string Iot = "10.10.0.9";
    private const string Node = "10.10.0.2";

    private static GatewayFirewallSpec NodeSpec(MeshFilterDto? filter) => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.10.0.0/24"],
        MeshAddresses = [Node],
        ListenPort = 51820,
        Filter = filter,
    };

    // office may reach tcp 631 and ping; nobody else anything.
    private static readonly MeshFilterDto Printer = new()
    {
        Inbound = [new([Office], [], FilterRuleDto.Tcp, 631, 631), new([Office], [], FilterRuleDto.Icmp)],
    };

    private static GatewayRoleReconciler Reconciler(string backend, string ns, string stateFile)
    {
        var runner = GatewayLab.Runner(ns);
        return new GatewayRoleReconciler(FirewallBackendDetector.Create(backend, runner), new ForwardingSysctl(new CommandSysctl(runner), stateFile));
    }

    [Theory]
    [InlineData("nftables", "nft delete table inet appliance")]
    [InlineData("iptables-legacy", "iptables-legacy -F INPUT")]
    public async Task A_node_filter_allows_what_the_rules_say_passes_replies_spares_the_underlay_and_goes_away_whole(string backend, string vandal)
    {
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-policy");
        var a = await lab.AddNamespaceAsync("a");
        var n = await lab.AddNamespaceAsync("n");
        await GatewayLab.VethAsync(a, "a0", Office + "/24", n, "wg0", Node + "/24");
        await GatewayLab.Ip("-n", a, "addr", "add", Iot + "/24", "dev", "a0");
        await GatewayLab.VethAsync(a, "u0", "172.16.0.1/24", n, "eth0", "172.16.0.2/24");
        using var printing = await TcpListenerProcess.StartAsync(n, 631);
        using var ssh = await TcpListenerProcess.StartAsync(n, 22);
        using var officeService = await TcpListenerProcess.StartAsync(a, 8080);

        var r = Reconciler(backend, n, dir.Combine("fwd.state"));
        Assert.True(await r.ApplyAsync(NodeSpec(Printer)));

        Assert.True(await TcpListenerProcess.ConnectsAsync(a, Office, Node, 631), "office -> tcp 631 is allowed");
        Assert.False(await TcpListenerProcess.ConnectsAsync(a, Office, Node, 22), "office -> tcp 22 is not");
        Assert.False(await TcpListenerProcess.ConnectsAsync(a, Iot, Node, 631), "iot reaches nothing");
        Assert.True(await GatewayLab.PingsAsync(a, Node, Office), "office may ping");
        Assert.False(await GatewayLab.PingsAsync(a, Node, Iot), "iot may not");
        // Replies to what the node opens itself pass by connection state.
        Assert.True(await TcpListenerProcess.ConnectsAsync(n, Node, Office, 8080), "the node's own connection gets its replies");
        Assert.True(await GatewayLab.PingsAsync(n, Iot, Node), "the node's own ping gets its replies");
        // Only the mesh interface is filtered: the underlay (where WireGuard's UDP arrives) is untouched.
        Assert.True(await TcpListenerProcess.ConnectsAsync(a, "172.16.0.1", "172.16.0.2", 22), "the underlay is not filtered");
        Assert.False(File.Exists(dir.Combine("fwd.state")), "a plain node's filter never touches the forwarding sysctls");

        // Another program flushes our rules; the read-back repair puts the filter back.
        Assert.False(await r.RepairAsync());
        await GatewayLab.ExecAsync(n, vandal.Split(' '));
        Assert.True(await TcpListenerProcess.ConnectsAsync(a, Iot, Node, 22), "with our rules gone everything is open");
        Assert.True(await r.RepairAsync());
        Assert.False(await TcpListenerProcess.ConnectsAsync(a, Iot, Node, 22), "closed again after the repair");

        // An empty enforced filter: nothing new, replies still.
        Assert.True(await r.ApplyAsync(NodeSpec(new MeshFilterDto())));
        Assert.False(await TcpListenerProcess.ConnectsAsync(a, Office, Node, 631), "deny all: not even 631");
        Assert.False(await GatewayLab.PingsAsync(a, Node, Office), "deny all: no ping");
        Assert.True(await TcpListenerProcess.ConnectsAsync(n, Node, Office, 8080), "deny all: the node's own connections still work");

        // The policy is lifted: our rules go, everything is open again, nothing of ours is left.
        Assert.True(await r.ApplyAsync(NodeSpec(null)));
        Assert.True(await TcpListenerProcess.ConnectsAsync(a, Iot, Node, 22), "no policy: open");
        Assert.True(await GatewayLab.PingsAsync(a, Node, Iot), "no policy: ping");
        var ruleset = await GatewayLab.ExecAsync(n, "nft", "list", "ruleset");
        Assert.DoesNotContain("appliance", ruleset, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("APPLIANCE", await GatewayLab.ExecAsync(n, "iptables-legacy-save"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables-legacy")]
    public async Task A_gateway_forwards_only_what_the_forward_rules_allow_and_its_ext_clients_keep_their_dns(string backend)
    {
        const string Client = "10.10.0.100";
        const string LanHost = "192.168.1.10";
        await using var lab = new GatewayLab();
        using var dir = new TempDirectory("apgw-policy");
        var m = await lab.AddNamespaceAsync("m");
        var g = await lab.AddNamespaceAsync("g");
        var l = await lab.AddNamespaceAsync("l");
        await GatewayLab.VethAsync(m, "m0", Node + "/24", g, "wg0", "10.10.0.1/24");
        await GatewayLab.Ip("-n", m, "addr", "add", Client + "/24", "dev", "m0");
        await GatewayLab.Ip("-n", m, "route", "add", "192.168.1.0/24", "via", "10.10.0.1");
        await GatewayLab.VethAsync(g, "lan0", "192.168.1.1/24", l, "eth0", LanHost + "/24");
        await GatewayLab.Ip("-n", l, "route", "add", "10.10.0.0/24", "via", "192.168.1.1");
        using var printing = await TcpListenerProcess.StartAsync(l, 631);
        using var ssh = await TcpListenerProcess.StartAsync(l, 22);
        using var dns = await TcpListenerProcess.StartAsync(g, 53);
        using var gatewaySsh = await TcpListenerProcess.StartAsync(g, 22);

        var spec = new GatewayFirewallSpec
        {
            MeshInterface = "wg0",
            MeshRanges = ["10.10.0.0/24"],
            MeshAddresses = ["10.10.0.1"],
            Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "phone", Addresses = [Client] }] },
            Egress = new EgressSpec { Ranges = ["192.168.1.0/24"], Nat = false },
            Filter = new MeshFilterDto
            {
                // The gateway itself: ssh from the mesh node only.
                Inbound = [new([Node], [], FilterRuleDto.Tcp, 22, 22)],
                // The phone may print; the mesh node may ping the LAN host; nothing else is forwarded.
                Forward = [new([Client], [LanHost], FilterRuleDto.Tcp, 631, 631), new([Node], ["192.168.1.0/24"], FilterRuleDto.Icmp)],
            },
        };
        var r = Reconciler(backend, g, dir.Combine("fwd.state"));
        Assert.True(await r.ApplyAsync(spec));

        Assert.True(await TcpListenerProcess.ConnectsAsync(m, Client, LanHost, 631), "phone -> printer 631 is allowed");
        Assert.False(await TcpListenerProcess.ConnectsAsync(m, Client, LanHost, 22), "phone -> LAN 22 is not");
        Assert.False(await TcpListenerProcess.ConnectsAsync(m, Node, LanHost, 631), "the node has no tcp rule into the LAN");
        Assert.True(await GatewayLab.PingsAsync(m, LanHost, Node), "the node may ping the LAN");
        Assert.False(await GatewayLab.PingsAsync(m, LanHost, Client), "the phone may not");
        Assert.False(await TcpListenerProcess.ConnectsAsync(l, LanHost, Node, 22), "the LAN cannot open connections into the mesh");
        // The gateway itself: its DNS for its ext client stays open, ssh as the inbound rule says.
        Assert.True(await TcpListenerProcess.ConnectsAsync(m, Client, "10.10.0.1", 53), "the ext client keeps the gateway's DNS");
        Assert.False(await TcpListenerProcess.ConnectsAsync(m, Node, "10.10.0.1", 53), "the mesh node has no DNS rule");
        Assert.True(await TcpListenerProcess.ConnectsAsync(m, Node, "10.10.0.1", 22), "ssh from the node");
        Assert.False(await TcpListenerProcess.ConnectsAsync(m, Client, "10.10.0.1", 22), "no ssh from the phone");

        // The policy lifted: the roles' own rules again (the phone reaches the LAN on any port).
        Assert.True(await r.ApplyAsync(spec with { Filter = null }));
        Assert.True(await TcpListenerProcess.ConnectsAsync(m, Client, LanHost, 22), "no policy: the roles alone decide");
        Assert.True(await GatewayLab.PingsAsync(m, LanHost, Client));
        await r.RemoveAsync();
        Assert.DoesNotContain("appliance", await GatewayLab.ExecAsync(g, "nft", "list", "ruleset"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("APPLIANCE", await GatewayLab.ExecAsync(g, "iptables-legacy-save"), StringComparison.Ordinal);
    }
}
