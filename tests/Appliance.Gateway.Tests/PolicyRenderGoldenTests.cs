using System.Net.Sockets;
using Appliance.Gateway.Fw4;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// The exact nft, iptables-restore and fw4 text for access-policy filters (issue #19): a plain node's inbound
/// filter, the deny-all of an empty enforced filter, and a gateway's forward filter combined with its roles. The
/// filter-less goldens (<see cref="RenderGoldenTests"/>) stay as they were.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class PolicyRenderGoldenTests
{
    private static GatewayFirewallPlan Plan(GatewayFirewallSpec spec) => GatewayFirewallPlan.Create(spec);

    [Fact]
    public void Nft_node_inbound_filter() =>
        GoldenFile.AssertMatches("policy-node.nft", NftRulesetRenderer.Render(Plan(PolicySpecs.NodeInbound())));

    [Fact]
    public void Iptables_node_inbound_filter() =>
        GoldenFile.AssertMatches("policy-node.iptables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.NodeInbound()), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Ip6tables_node_inbound_filter() =>
        GoldenFile.AssertMatches("policy-node.ip6tables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.NodeInbound()), AddressFamily.InterNetworkV6, IptablesSaveState.Empty));

    [Fact]
    public void Nft_empty_enforced_filter_drops_every_new_connection() =>
        GoldenFile.AssertMatches("policy-deny-all.nft", NftRulesetRenderer.Render(Plan(PolicySpecs.NodeDenyAll())));

    [Fact]
    public void Iptables_empty_enforced_filter_drops_every_new_connection() =>
        GoldenFile.AssertMatches("policy-deny-all.iptables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.NodeDenyAll()), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Nft_gateway_forward_filter() =>
        GoldenFile.AssertMatches("policy-gateway.nft", NftRulesetRenderer.Render(Plan(PolicySpecs.GatewayForward())));

    [Fact]
    public void Iptables_gateway_forward_filter() =>
        GoldenFile.AssertMatches("policy-gateway.iptables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.GatewayForward()), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Ip6tables_gateway_forward_filter() =>
        GoldenFile.AssertMatches("policy-gateway.ip6tables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.GatewayForward()), AddressFamily.InterNetworkV6, IptablesSaveState.Empty));

    [Fact]
    public void Fw4_gateway_with_filter_opens_the_zone_input_to_our_table() =>
        GoldenFile.AssertMatches("policy-gateway.fw4",
            string.Concat(Fw4UciRenderer.DesiredShowLines(Plan(PolicySpecs.GatewayForward()), new Fw4Options()).Select(l => l + "\n")));

    [Fact]
    public void Nft_relay_without_roles_forwards_between_peers_under_the_policy() =>
        GoldenFile.AssertMatches("policy-relay.nft", NftRulesetRenderer.Render(Plan(PolicySpecs.RelayForward())));

    [Fact]
    public void Iptables_relay_without_roles_forwards_between_peers_under_the_policy() =>
        GoldenFile.AssertMatches("policy-relay.iptables", IptablesRestoreRenderer.Render(Plan(PolicySpecs.RelayForward()), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Nft_egress_gateway_that_relays_forwards_mesh_to_mesh_too() =>
        GoldenFile.AssertMatches("relay-gateway.nft", NftRulesetRenderer.Render(Plan(Specs.DualStackNat() with { Relay = true })));

    [Fact]
    public void Iptables_egress_gateway_that_relays_forwards_mesh_to_mesh_too() =>
        GoldenFile.AssertMatches("relay-gateway.iptables", IptablesRestoreRenderer.Render(Plan(Specs.DualStackNat() with { Relay = true }), AddressFamily.InterNetwork, IptablesSaveState.Empty));

    [Fact]
    public void Relay_is_part_of_the_plan_so_turning_it_on_or_off_reapplies()
    {
        Assert.NotEqual(Plan(Specs.DualStackNat()), Plan(Specs.DualStackNat() with { Relay = true }));
        Assert.True(Plan(PolicySpecs.RelayForward()).HasForward);
        Assert.False(Plan(PolicySpecs.RelayForward()).HasRoles);
        // The relay's forwarding switch is the agent's own; the reconciler sets the sysctls for roles only.
        Assert.False(Plan(PolicySpecs.RelayForward()).NeedsForwarding(AddressFamily.InterNetwork));
    }

    [Fact]
    public void Iptables_a_relay_that_stops_relaying_drops_its_forward_chains()
    {
        var current = IptablesSaveState.Parse("""
            *filter
            :APPLIANCE-FWD - [0:0]
            :APPLIANCE-IN - [0:0]
            :APPLIANCE-PFWD - [0:0]
            -A INPUT -i wg0 -j APPLIANCE-IN
            -A FORWARD -i wg0 -j APPLIANCE-FWD
            -A FORWARD -o wg0 -j APPLIANCE-FWD
            COMMIT
            """);
        var text = IptablesRestoreRenderer.Render(Plan(PolicySpecs.RelayForward() with { Relay = false }), AddressFamily.InterNetwork, current);
        Assert.Contains("-D FORWARD -i wg0 -j APPLIANCE-FWD\n", text, StringComparison.Ordinal);
        Assert.Contains("-X APPLIANCE-FWD\n", text, StringComparison.Ordinal);
        Assert.Contains("-X APPLIANCE-PFWD\n", text, StringComparison.Ordinal);
        Assert.True(IptablesRestoreRenderer.IsIntact(Plan(PolicySpecs.RelayForward() with { Relay = false }), AddressFamily.InterNetwork,
            IptablesSaveState.Parse("*filter\n:APPLIANCE-IN - [0:0]\n-A INPUT -i wg0 -j APPLIANCE-IN\nCOMMIT\n")));
        Assert.False(IptablesRestoreRenderer.IsIntact(Plan(PolicySpecs.RelayForward()), AddressFamily.InterNetwork,
            IptablesSaveState.Parse("*filter\n:APPLIANCE-IN - [0:0]\n-A INPUT -i wg0 -j APPLIANCE-IN\nCOMMIT\n")));
    }

    [Fact]
    public void Fw4_relay_with_filter_only_gets_the_zone_so_fw4_forwards_within_it() =>
        Assert.Contains(Fw4UciRenderer.DesiredShowLines(Plan(PolicySpecs.RelayForward()), new Fw4Options()),
            l => l == $"{Fw4UciRenderer.SectionPrefix}zone.forward='ACCEPT'");

    [Fact]
    public void Fw4_node_with_filter_only_adds_no_uci_sections() =>
        Assert.Empty(Fw4UciRenderer.DesiredShowLines(Plan(PolicySpecs.NodeInbound()), new Fw4Options()));

    [Fact]
    public void Iptables_lifting_the_filter_on_a_gateway_deletes_the_policy_chain_and_puts_accepts_back()
    {
        var current = IptablesSaveState.Parse("""
            *filter
            :APPLIANCE-FWD - [0:0]
            :APPLIANCE-IN - [0:0]
            :APPLIANCE-PFWD - [0:0]
            -A INPUT -i wg0 -j APPLIANCE-IN
            -A FORWARD -i wg0 -j APPLIANCE-FWD
            -A FORWARD -o wg0 -j APPLIANCE-FWD
            COMMIT
            """);
        var text = IptablesRestoreRenderer.Render(Plan(Specs.DualStackNat()), AddressFamily.InterNetwork, current);
        Assert.Contains(":APPLIANCE-PFWD - [0:0]\n", text, StringComparison.Ordinal); // flushed first, so nothing refers to it
        Assert.Contains("-X APPLIANCE-PFWD\nCOMMIT\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("-j APPLIANCE-PFWD", text, StringComparison.Ordinal);
        Assert.Contains("-A APPLIANCE-FWD -i wg0 -o wg0 -s 10.10.0.100/32 -j ACCEPT", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Iptables_gateway_becoming_a_plain_filtered_node_drops_its_forward_chain_and_jumps()
    {
        var current = IptablesSaveState.Parse("""
            *filter
            :APPLIANCE-FWD - [0:0]
            :APPLIANCE-IN - [0:0]
            :APPLIANCE-PFWD - [0:0]
            -A INPUT -i wg0 -j APPLIANCE-IN
            -A FORWARD -i wg0 -j APPLIANCE-FWD
            -A FORWARD -o wg0 -j APPLIANCE-FWD
            COMMIT
            """);
        var text = IptablesRestoreRenderer.Render(Plan(PolicySpecs.NodeInbound()), AddressFamily.InterNetwork, current);
        Assert.Contains("-D FORWARD -i wg0 -j APPLIANCE-FWD\n-D FORWARD -o wg0 -j APPLIANCE-FWD\n", text, StringComparison.Ordinal);
        Assert.Contains("-X APPLIANCE-FWD\n", text, StringComparison.Ordinal);
        Assert.Contains("-X APPLIANCE-PFWD\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("-I INPUT", text, StringComparison.Ordinal); // the input jump is there already
    }

    [Fact]
    public void Removal_deletes_the_policy_chain_too()
    {
        var current = IptablesSaveState.Parse("*filter\n:APPLIANCE-IN - [0:0]\n:APPLIANCE-PFWD - [0:0]\n-A INPUT -i wg0 -j APPLIANCE-IN\nCOMMIT\n");
        Assert.Equal(
            "*filter\n:APPLIANCE-FWD - [0:0]\n:APPLIANCE-IN - [0:0]\n:APPLIANCE-PFWD - [0:0]\n-D INPUT -i wg0 -j APPLIANCE-IN\n-X APPLIANCE-FWD\n-X APPLIANCE-IN\n-X APPLIANCE-PFWD\nCOMMIT\n",
            IptablesRestoreRenderer.RenderRemoval(current));
    }

    [Fact]
    public void Iptables_intact_check_of_a_plain_node_needs_only_the_input_chain_and_its_jump()
    {
        var plan = Plan(PolicySpecs.NodeInbound());
        Assert.True(IptablesRestoreRenderer.IsIntact(plan, AddressFamily.InterNetwork,
            IptablesSaveState.Parse("*filter\n:APPLIANCE-IN - [0:0]\n-A INPUT -i wg0 -j APPLIANCE-IN\nCOMMIT\n")));
        Assert.False(IptablesRestoreRenderer.IsIntact(plan, AddressFamily.InterNetwork,
            IptablesSaveState.Parse("*filter\n:APPLIANCE-IN - [0:0]\nCOMMIT\n")));
        Assert.False(IptablesRestoreRenderer.IsIntact(Plan(PolicySpecs.GatewayForward()), AddressFamily.InterNetwork,
            IptablesSaveState.Parse("*filter\n:APPLIANCE-FWD - [0:0]\n:APPLIANCE-IN - [0:0]\n-A INPUT -i wg0 -j APPLIANCE-IN\n-A FORWARD -i wg0 -j APPLIANCE-FWD\n-A FORWARD -o wg0 -j APPLIANCE-FWD\nCOMMIT\n")));
    }

    [Fact]
    public void A_changed_filter_is_a_different_plan_and_an_equal_one_is_not()
    {
        Assert.Equal(Plan(PolicySpecs.NodeInbound()), Plan(PolicySpecs.NodeInbound()));
        Assert.NotEqual(Plan(PolicySpecs.NodeInbound()), Plan(PolicySpecs.NodeDenyAll()));
        Assert.NotEqual(Plan(Specs.DualStackNat()), Plan(PolicySpecs.GatewayForward()));
    }
}
