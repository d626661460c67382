using Appliance.Gateway.Commands;
using Appliance.Gateway.Fw4;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>The exact commands and stdin each backend sends, over a fake runner (no root, no firewall).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class BackendCommandTests
{
    private static readonly GatewayFirewallPlan Plan = GatewayFirewallPlan.Create(Specs.DualStackNat());

    [Theory]
    [InlineData(IptablesVariant.Legacy, "iptables-legacy")]
    [InlineData(IptablesVariant.Nft, "iptables-nft")]
    [InlineData(IptablesVariant.Default, "iptables")]
    public async Task Iptables_reads_then_restores_each_family(IptablesVariant variant, string name)
    {
        var runner = new FakeCommandRunner();
        var backend = new IptablesFirewallBackend(runner, variant);
        await backend.ApplyAsync(Plan);
        Assert.Equal(name, backend.Name);
        var v4 = name.Replace("iptables", "", StringComparison.Ordinal);
        Assert.Equal(
            [$"iptables{v4}-save", $"iptables{v4}-restore --noflush --wait", $"ip6tables{v4}-save", $"ip6tables{v4}-restore --noflush --wait"],
            runner.Lines);
        Assert.StartsWith("# Appliance gateway firewall", runner.Commands[1].Stdin, StringComparison.Ordinal);
        Assert.Contains("-A APPLIANCE-FWD -s 10.10.0.101/32 -j DROP", runner.Commands[1].Stdin, StringComparison.Ordinal);
        Assert.Contains("-A APPLIANCE-FWD -i wg0 -o wg0 -s fd10::100/128 -j ACCEPT", runner.Commands[3].Stdin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iptables_remove_with_nothing_of_ours_only_reads()
    {
        var runner = new FakeCommandRunner((p, _, _) => FakeCommandRunner.Ok(p.Contains("save", StringComparison.Ordinal) ? "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j DOCKER\nCOMMIT\n" : ""));
        var backend = new IptablesFirewallBackend(runner, IptablesVariant.Legacy);
        await backend.RemoveAsync();
        Assert.Equal(["iptables-legacy-save", "ip6tables-legacy-save"], runner.Lines);
        Assert.False(await backend.IsPresentAsync());
    }

    [Fact]
    public async Task Iptables_failed_restore_names_the_command_and_error()
    {
        var runner = new FakeCommandRunner((p, _, _) => p.EndsWith("restore", StringComparison.Ordinal)
            ? new CommandResult(2, "", "iptables-restore: line 7 failed\n")
            : FakeCommandRunner.Ok());
        var e = await Assert.ThrowsAsync<FirewallCommandException>(() => new IptablesFirewallBackend(runner, IptablesVariant.Legacy).ApplyAsync(Plan));
        Assert.Equal("iptables-legacy-restore --noflush --wait exited 2: iptables-restore: line 7 failed", e.Message);
    }

    [Fact]
    public async Task Nftables_present_is_read_from_the_table_list()
    {
        var runner = new FakeCommandRunner((_, _, _) => FakeCommandRunner.Ok("table inet other\ntable inet appliance\n"));
        Assert.True(await new NftablesFirewallBackend(runner).IsPresentAsync());
        Assert.Equal(["nft list tables"], runner.Lines);
        Assert.False(NftablesFirewallBackend.ContainsOurTable("table inet appliance2\ntable ip appliance\n"));
    }

    [Fact]
    public async Task Fw4_writes_our_table_then_the_zone_then_reloads()
    {
        var runner = new FakeCommandRunner((p, a, _) => FakeCommandRunner.Ok(p == "uci" && a[0] == "show"
            ? "firewall.@defaults[0]=defaults\nfirewall.lan=zone\nfirewall.lan.name='lan'\n"
            : ""));
        await new Fw4FirewallBackend(runner).ApplyAsync(Plan);
        Assert.Equal(["nft -f -", "uci show firewall", "uci batch", "fw4 -q reload"], runner.Lines);
        Assert.Equal(NftRulesetRenderer.Render(Plan), runner.Commands[0].Stdin);
        // The uci batch: a zone for the mesh interface closed for input but DNS to the gateway's mesh addresses,
        // WireGuard and ping; forwarding to the LAN (egress) and back (site-to-site).
        Assert.Equal("""
            set firewall.appliance_zone=zone
            set firewall.appliance_zone.name='appliance'
            set firewall.appliance_zone.device='wg0'
            set firewall.appliance_zone.input='DROP'
            set firewall.appliance_zone.output='ACCEPT'
            set firewall.appliance_zone.forward='ACCEPT'
            set firewall.appliance_dns_v4=rule
            set firewall.appliance_dns_v4.name='appliance-dns-v4'
            set firewall.appliance_dns_v4.src='appliance'
            set firewall.appliance_dns_v4.proto='tcp udp'
            set firewall.appliance_dns_v4.dest_ip='10.10.0.1'
            set firewall.appliance_dns_v4.dest_port='53'
            set firewall.appliance_dns_v4.target='ACCEPT'
            set firewall.appliance_dns_v6=rule
            set firewall.appliance_dns_v6.name='appliance-dns-v6'
            set firewall.appliance_dns_v6.src='appliance'
            set firewall.appliance_dns_v6.proto='tcp udp'
            set firewall.appliance_dns_v6.dest_ip='fd10::1'
            set firewall.appliance_dns_v6.dest_port='53'
            set firewall.appliance_dns_v6.target='ACCEPT'
            set firewall.appliance_wireguard=rule
            set firewall.appliance_wireguard.name='appliance-wireguard'
            set firewall.appliance_wireguard.src='appliance'
            set firewall.appliance_wireguard.proto='udp'
            set firewall.appliance_wireguard.dest_port='51820'
            set firewall.appliance_wireguard.target='ACCEPT'
            set firewall.appliance_ping=rule
            set firewall.appliance_ping.name='appliance-ping'
            set firewall.appliance_ping.src='appliance'
            set firewall.appliance_ping.proto='icmp'
            set firewall.appliance_ping.icmp_type='echo-request'
            set firewall.appliance_ping.target='ACCEPT'
            set firewall.appliance_to_lan=forwarding
            set firewall.appliance_to_lan.src='appliance'
            set firewall.appliance_to_lan.dest='lan'
            set firewall.appliance_from_lan=forwarding
            set firewall.appliance_from_lan.src='lan'
            set firewall.appliance_from_lan.dest='appliance'
            commit firewall

            """.ReplaceLineEndings("\n"), runner.Commands[2].Stdin);
    }

    [Fact]
    public async Task Fw4_unchanged_zone_is_not_rewritten_and_fw4_not_reloaded()
    {
        var show = string.Join('\n', Fw4UciRenderer.DesiredShowLines(Plan, new Fw4Options())) + "\nfirewall.lan=zone\n";
        var runner = new FakeCommandRunner((p, a, _) => FakeCommandRunner.Ok(p == "uci" ? show : ""));
        await new Fw4FirewallBackend(runner).ApplyAsync(Plan);
        Assert.Equal(["nft -f -", "uci show firewall"], runner.Lines);
    }

    [Fact]
    public async Task Fw4_remove_deletes_only_our_sections_then_our_table()
    {
        var show = "firewall.lan=zone\nfirewall.lan.name='lan'\nfirewall.appliance_zone=zone\nfirewall.appliance_zone.name='appliance'\nfirewall.appliance_to_lan=forwarding\nfirewall.appliance_to_lan.src='appliance'\n";
        var runner = new FakeCommandRunner((p, a, _) => FakeCommandRunner.Ok(p == "uci" ? show : ""));
        await new Fw4FirewallBackend(runner).RemoveAsync();
        Assert.Equal(["uci show firewall", "uci batch", "fw4 -q reload", "nft -f -"], runner.Lines);
        Assert.Equal("delete firewall.appliance_zone\ndelete firewall.appliance_to_lan\ncommit firewall\n", runner.Commands[1].Stdin);
        Assert.Equal(NftRulesetRenderer.RenderRemoval(), runner.Commands[3].Stdin);
    }

    [Fact]
    public void Fw4_internet_gateway_also_forwards_to_wan()
    {
        var plan = GatewayFirewallPlan.Create(Specs.RoutedV4() with { Egress = new EgressSpec { Ranges = ["0.0.0.0/0"] } });
        var lines = Fw4UciRenderer.DesiredShowLines(plan, new Fw4Options { LanZone = "office" });
        Assert.Contains("firewall.appliance_to_lan.dest='office'", lines);
        Assert.Contains("firewall.appliance_to_wan.dest='wan'", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("firewall.appliance_from_lan", StringComparison.Ordinal));
    }
}
