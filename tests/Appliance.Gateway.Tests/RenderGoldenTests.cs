using System.Net.Sockets;
using Appliance.Gateway.Fw4;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// The exact nft and iptables-restore text for representative specs. The golden files carry "//" annotations
/// saying what each rule means; the netns tests prove the same text behaves that way in a kernel.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RenderGoldenTests
{
    [Fact]
    public void Nft_dual_stack_ingress_and_egress_with_nat() =>
        GoldenFile.AssertMatches("dualstack-nat.nft", NftRulesetRenderer.Render(GatewayFirewallPlan.Create(Specs.DualStackNat())));

    [Fact]
    public void Nft_ipv4_routed_without_nat() =>
        GoldenFile.AssertMatches("routed-v4.nft", NftRulesetRenderer.Render(GatewayFirewallPlan.Create(Specs.RoutedV4())));

    [Fact]
    public void Fw4_dual_stack_zone_rules_and_forwardings() =>
        GoldenFile.AssertMatches("dualstack-nat.fw4",
            string.Concat(Fw4UciRenderer.DesiredShowLines(GatewayFirewallPlan.Create(Specs.DualStackNat()), new Fw4Options()).Select(l => l + "\n")));

    [Fact]
    public void Nft_removal_deletes_only_our_table() =>
        Assert.Equal("table inet appliance\ndelete table inet appliance\n", NftRulesetRenderer.RenderRemoval());

    [Fact]
    public void Iptables_dual_stack_from_empty_inserts_the_jumps() =>
        GoldenFile.AssertMatches("dualstack-nat.iptables",
            IptablesRestoreRenderer.Render(GatewayFirewallPlan.Create(Specs.DualStackNat()), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Ip6tables_dual_stack_from_empty() =>
        GoldenFile.AssertMatches("dualstack-nat.ip6tables",
            IptablesRestoreRenderer.Render(GatewayFirewallPlan.Create(Specs.DualStackNat()), AddressFamily.InterNetworkV6, IptablesSaveState.Empty));

    [Fact]
    public void Iptables_routed_with_jumps_present_and_an_old_nat_chain_to_remove()
    {
        // What iptables-save shows after an earlier apply with NAT on: the jumps exist, the nat chain must go.
        var current = IptablesSaveState.Parse("""
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD DROP [0:0]
            :APPLIANCE-FWD - [0:0]
            -A FORWARD -i wg-mesh -j APPLIANCE-FWD
            -A FORWARD -o wg-mesh -j APPLIANCE-FWD
            -A FORWARD -i docker0 -j ACCEPT
            -A APPLIANCE-FWD -j DROP
            COMMIT
            *nat
            :POSTROUTING ACCEPT [0:0]
            :APPLIANCE-POST - [0:0]
            -A POSTROUTING -j APPLIANCE-POST
            -A POSTROUTING -o eth9 -j MASQUERADE
            COMMIT
            """);
        GoldenFile.AssertMatches("routed-v4-update.iptables",
            IptablesRestoreRenderer.Render(GatewayFirewallPlan.Create(Specs.RoutedV4()), AddressFamily.InterNetwork, current));
    }

    [Fact]
    public void Iptables_interface_rename_replaces_the_stale_jumps()
    {
        var current = IptablesSaveState.Parse("*filter\n:APPLIANCE-FWD - [0:0]\n-A FORWARD -i wg-old -j APPLIANCE-FWD\n-A FORWARD -o wg-old -j APPLIANCE-FWD\nCOMMIT\n");
        var text = IptablesRestoreRenderer.Render(GatewayFirewallPlan.Create(Specs.RoutedV4()), AddressFamily.InterNetwork, current);
        var lines = text.Split('\n');
        Assert.Contains("-D FORWARD -i wg-old -j APPLIANCE-FWD", lines);
        Assert.Contains("-D FORWARD -o wg-old -j APPLIANCE-FWD", lines);
        Assert.Contains("-I FORWARD 1 -i wg-mesh -j APPLIANCE-FWD", lines);
        Assert.Contains("-I FORWARD 1 -o wg-mesh -j APPLIANCE-FWD", lines);
    }

    [Fact]
    public void Iptables_removal_deletes_jumps_then_chains_and_nothing_else()
    {
        var current = IptablesSaveState.Parse(
            "*filter\n:FORWARD ACCEPT [0:0]\n:APPLIANCE-FWD - [0:0]\n-A FORWARD -i wg0 -j APPLIANCE-FWD\n-A FORWARD -i eth0 -j ACCEPT\n-A APPLIANCE-FWD -j DROP\nCOMMIT\n" +
            "*nat\n:APPLIANCE-POST - [0:0]\n-A POSTROUTING -j APPLIANCE-POST\nCOMMIT\n");
        Assert.Equal(
            "*filter\n:APPLIANCE-FWD - [0:0]\n:APPLIANCE-IN - [0:0]\n-D FORWARD -i wg0 -j APPLIANCE-FWD\n-X APPLIANCE-FWD\n-X APPLIANCE-IN\nCOMMIT\n" +
            "*nat\n:APPLIANCE-POST - [0:0]\n-D POSTROUTING -j APPLIANCE-POST\n-X APPLIANCE-POST\nCOMMIT\n",
            IptablesRestoreRenderer.RenderRemoval(current));
        Assert.Equal("", IptablesRestoreRenderer.RenderRemoval(IptablesSaveState.Parse("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i eth0 -j ACCEPT\nCOMMIT\n")));
    }

    [Fact]
    public void Large_gateway_is_sets_in_nft_not_one_rule_per_client()
    {
        var text = NftRulesetRenderer.Render(GatewayFirewallPlan.Create(Specs.Large(1000, 20)));
        var ruleLines = text.Split('\n').Count(l => l.Contains(" accept", StringComparison.Ordinal) || l.Contains(" drop", StringComparison.Ordinal) || l.Contains("masquerade", StringComparison.Ordinal));
        Assert.InRange(ruleLines, 5, 16); // forward and NAT rules, plus the gateway's own input chain; none per client
        Assert.Contains("\t\t\t10.100.7.250\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_spec_in_another_order_renders_identically()
    {
        var a = Specs.DualStackNat();
        var b = a with { Egress = a.Egress! with { Ranges = [.. a.Egress.Ranges.Reverse()] }, MeshRanges = [.. a.MeshRanges.Reverse()] };
        Assert.Equal(GatewayFirewallPlan.Create(a), GatewayFirewallPlan.Create(b));
        Assert.Equal(NftRulesetRenderer.Render(GatewayFirewallPlan.Create(a)), NftRulesetRenderer.Render(GatewayFirewallPlan.Create(b)));
    }

    [Fact]
    public void Iptables_intact_needs_our_chains_and_every_jump()
    {
        var plan = GatewayFirewallPlan.Create(Specs.RoutedV4());
        const string Chain = "*filter\n:APPLIANCE-FWD - [0:0]\n";
        const string Input = ":APPLIANCE-IN - [0:0]\n-A INPUT -i wg-mesh -j APPLIANCE-IN\n";
        Assert.True(IptablesRestoreRenderer.IsIntact(plan, AddressFamily.InterNetwork,
            IptablesSaveState.Parse(Chain + Input + "-A FORWARD -i wg-mesh -j APPLIANCE-FWD\n-A FORWARD -o wg-mesh -j APPLIANCE-FWD\nCOMMIT\n")));
        // The gateway's own protection counts too: without the INPUT jump it is not intact.
        Assert.False(IptablesRestoreRenderer.IsIntact(plan, AddressFamily.InterNetwork,
            IptablesSaveState.Parse(Chain + ":APPLIANCE-IN - [0:0]\n-A FORWARD -i wg-mesh -j APPLIANCE-FWD\n-A FORWARD -o wg-mesh -j APPLIANCE-FWD\nCOMMIT\n")));
        Assert.False(IptablesRestoreRenderer.IsIntact(plan, AddressFamily.InterNetwork,
            IptablesSaveState.Parse(Chain + "-A FORWARD -i wg-mesh -j APPLIANCE-FWD\nCOMMIT\n")));
        // NAT on needs the nat chain and its jump as well.
        var nat = GatewayFirewallPlan.Create(Specs.DualStackNat());
        Assert.False(IptablesRestoreRenderer.IsIntact(nat, AddressFamily.InterNetwork,
            IptablesSaveState.Parse(Chain + "-A FORWARD -i wg0 -j APPLIANCE-FWD\n-A FORWARD -o wg0 -j APPLIANCE-FWD\nCOMMIT\n")));
    }
}
