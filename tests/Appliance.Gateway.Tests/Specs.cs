using Appliance.Gateway.Model;

namespace Appliance.Gateway.Tests;

/// <summary>The gateway specs the golden, reconciler and netns tests share.</summary>
internal static class Specs
{
    /// <summary>Dual-stack ingress + egress with NAT on, one disabled client, a site-to-site remote range; the gateway is 10.10.0.1 and fd10::1, WireGuard on 51820.</summary>
    public static GatewayFirewallSpec DualStackNat() => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.10.0.0/24", "fd10::/64"],
        MeshAddresses = ["10.10.0.1", "fd10::1"],
        ListenPort = 51820,
        Ingress = new IngressSpec
        {
            Nat = true,
            Clients =
            [
                new ExtClientSpec { Name = "phone", Addresses = ["10.10.0.100/32", "fd10::100/128"] },
                new ExtClientSpec { Name = "old-laptop", Addresses = ["10.10.0.101"], Allowed = false },
            ],
        },
        Egress = new EgressSpec { Ranges = ["192.168.2.0/24", "192.168.1.0/24", "fd00:1::/64"], Nat = true },
        RemoteRanges = ["192.168.50.0/24"],
    };

    /// <summary>IPv4 only, NAT off both ways (routed: LAN hosts need a route back to the mesh); the gateway is 10.20.0.1, no listen port given.</summary>
    public static GatewayFirewallSpec RoutedV4() => new()
    {
        MeshInterface = "wg-mesh",
        MeshRanges = ["10.20.0.0/16"],
        MeshAddresses = ["10.20.0.1"],
        Ingress = new IngressSpec { Nat = false, Clients = [new ExtClientSpec { Name = "tablet", Addresses = ["10.20.0.5"] }] },
        Egress = new EgressSpec { Ranges = ["172.16.0.0/12"], Nat = false },
    };

    /// <summary>A large gateway: <paramref name="clients"/> ext clients (every 10th disabled) and <paramref name="ranges"/> egress /24s.</summary>
    public static GatewayFirewallSpec Large(int clients, int ranges, int disabledOffset = 0) => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.100.0.0/16"],
        Ingress = new IngressSpec
        {
            Nat = true,
            Clients = [.. Enumerable.Range(0, clients).Select(i => new ExtClientSpec
            {
                Name = "c" + i,
                Addresses = [$"10.100.{4 + (i / 250)}.{1 + (i % 250)}"],
                Allowed = (i + disabledOffset) % 10 != 0,
            })],
        },
        Egress = new EgressSpec { Ranges = [.. Enumerable.Range(0, ranges).Select(i => $"192.168.{i}.0/24")], Nat = true },
    };
}
