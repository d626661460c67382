using Appliance.Contracts.Mesh;
using Appliance.Gateway.Model;

namespace Appliance.Gateway.Tests;

/// <summary>Specs with an access-policy filter (issue #19), shared by the golden, validation and netns tests.</summary>
internal static class PolicySpecs
{
    /// <summary>
    /// A plain node (no roles) at 10.10.0.2 and fd10::2 on wg0: office (10.10.0.3, 10.10.0.4) may reach tcp 631 and
    /// ping it, the admin range 10.10.0.128/25 tcp 8000-8099, anyone udp 53 (v4 and v6), and fd10::/64 ping it.
    /// </summary>
    public static GatewayFirewallSpec NodeInbound() => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.10.0.0/24", "fd10::/64"],
        MeshAddresses = ["10.10.0.2", "fd10::2"],
        ListenPort = 51820,
        Filter = new MeshFilterDto
        {
            Inbound =
            [
                new(["10.10.0.4", "10.10.0.3/32"], [], FilterRuleDto.Tcp, 631, 631),
                new(["10.10.0.3", "10.10.0.4"], [], FilterRuleDto.Icmp),
                new(["10.10.0.128/25", "10.10.0.200"], [], FilterRuleDto.Tcp, 8000, 8099),
                new([FilterRuleDto.Any], [], FilterRuleDto.Udp, 53, 53),
                new(["fd10::/64"], [], FilterRuleDto.Icmp),
            ],
        },
    };

    /// <summary>The same node with an enforced but empty filter: nothing new may reach it.</summary>
    public static GatewayFirewallSpec NodeDenyAll() => NodeInbound() with { Filter = new MeshFilterDto() };

    /// <summary>
    /// <see cref="Specs.DualStackNat"/> with a policy: the gateway itself takes ssh from 10.10.0.3 only; it forwards
    /// the phone (10.10.0.100) to the printer's tcp 631 and the mesh 10.10.0.0/24 to the LAN's 192.168.1.10 on any port,
    /// and everything (any protocol) from fd10::/64 into fd00:1::/64.
    /// </summary>
    public static GatewayFirewallSpec GatewayForward() => Specs.DualStackNat() with
    {
        Filter = new MeshFilterDto
        {
            Inbound = [new(["10.10.0.3"], [], FilterRuleDto.Tcp, 22, 22)],
            Forward =
            [
                new(["10.10.0.100"], ["10.10.0.5"], FilterRuleDto.Tcp, 631, 631),
                new(["10.10.0.0/24"], ["192.168.1.10/32"], FilterRuleDto.Tcp),
                new(["fd10::/64"], ["fd00:1::/64"], FilterRuleDto.Any),
            ],
        },
    };

    /// <summary>
    /// A relay (issue #18) with no gateway role under a policy: office 10.10.0.3 may open tcp 631 on the printer
    /// 10.10.0.5, through the relay when the pair cannot meet directly; nothing else passes the relay.
    /// </summary>
    public static GatewayFirewallSpec RelayForward() => NodeInbound() with
    {
        Relay = true,
        Filter = new MeshFilterDto
        {
            Inbound = [new(["10.10.0.3"], [], FilterRuleDto.Icmp)],
            Forward = [new(["10.10.0.3/32"], ["10.10.0.5/32"], FilterRuleDto.Tcp, 631, 631)],
        },
    };
}
