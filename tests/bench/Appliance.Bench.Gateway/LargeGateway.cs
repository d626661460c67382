using Appliance.Gateway.Model;

namespace Appliance.Bench.Gateway;

/// <summary>The benchmark's gateway: 1000 ext clients (every 10th disabled), 20 egress /24s, NAT on both ways.</summary>
internal static class LargeGateway
{
    public const int Clients = 1000;
    public const int Ranges = 20;

    /// <param name="flipped">Index of one client whose Allowed flag is inverted (the one-client change), or -1.</param>
    public static GatewayFirewallSpec Spec(int flipped = -1) => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.100.0.0/16", "fd64::/64"],
        Ingress = new IngressSpec
        {
            Nat = true,
            Clients = [.. Enumerable.Range(0, Clients).Select(i => new ExtClientSpec
            {
                Name = "client" + i,
                Addresses = [$"10.100.{4 + (i / 250)}.{1 + (i % 250)}", $"fd64::{i + 0x100:x}"],
                Allowed = (i % 10 != 0) ^ (i == flipped),
            })],
        },
        Egress = new EgressSpec { Ranges = [.. Enumerable.Range(0, Ranges).Select(i => $"192.168.{i}.0/24")], Nat = true },
    };
}
