using Appliance.Gateway.Model;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>Table tests for spec validation: rows that pass and rows that must fail with the field named.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class SpecValidationTests
{
    private static GatewayFirewallSpec Base => Specs.DualStackNat();

    public static TheoryData<string, GatewayFirewallSpec, string, string> BadSpecs => new()
    {
        { "empty interface", Base with { MeshInterface = "" }, "meshInterface", "interface name" },
        { "interface too long", Base with { MeshInterface = "wg-0123456789abc" }, "meshInterface", "interface name" },
        { "interface with a quote", Base with { MeshInterface = "wg\"0" }, "meshInterface", "interface name" },
        { "no mesh range", Base with { MeshRanges = [] }, "meshRanges", "at least one" },
        { "own address outside the mesh", Base with { MeshAddresses = ["10.99.0.1"] }, "meshAddresses[0]", "outside the mesh ranges" },
        { "own address as a range", Base with { MeshAddresses = ["10.10.0.0/24"] }, "meshAddresses[0]", "single host" },
        { "own address twice", Base with { MeshAddresses = ["10.10.0.1", "10.10.0.1/32"] }, "meshAddresses[1]", "listed twice" },
        { "own address garbage", Base with { MeshAddresses = ["gw"] }, "meshAddresses[0]", "not an IPv4 or IPv6 address" },
        { "ext client on the gateway's own address", Base with { MeshAddresses = ["10.10.0.100"] }, "ingress.clients[0].addresses[0]", "own mesh address" },
        { "listen port too large", Base with { ListenPort = 65536 }, "listenPort", "0..65535" },
        { "negative listen port", Base with { ListenPort = -1 }, "listenPort", "0..65535" },
        { "malformed mesh CIDR", Base with { MeshRanges = ["10.10.0.0/33"] }, "meshRanges[0]", "prefix length" },
        { "mesh CIDR without length", Base with { MeshRanges = ["10.10.0.0"] }, "meshRanges[0]", "missing the prefix length" },
        { "mesh CIDR host bits", Base with { MeshRanges = ["10.10.0.1/24", "fd10::/64"] }, "meshRanges[0]", "did you mean 10.10.0.0/24" },
        { "two IPv4 mesh ranges", Base with { MeshRanges = ["10.10.0.0/24", "10.11.0.0/24", "fd10::/64"] }, "meshRanges", "one IPv4 range" },
        { "garbage egress", Base with { Egress = new EgressSpec { Ranges = ["192.168.1.0/24", "lan"] } }, "egress.ranges[1]", "missing the prefix length" },
        { "IPv6 zone in egress", Base with { Egress = new EgressSpec { Ranges = ["fe80::%eth0/64"] } }, "egress.ranges[0]", "not an IPv4 or IPv6 address" },
        { "overlapping egress", Base with { Egress = new EgressSpec { Ranges = ["192.168.0.0/16", "192.168.1.0/24"] } }, "egress.ranges[1]", "overlaps egress.ranges[0]" },
        { "egress covers the mesh", Base with { Egress = new EgressSpec { Ranges = ["10.0.0.0/8"] } }, "egress.ranges[0]", "overlaps the mesh range 10.10.0.0/24" },
        { "egress inside the mesh", Base with { Egress = new EgressSpec { Ranges = ["10.10.0.128/25"] } }, "egress.ranges[0]", "overlaps the mesh range" },
        { "empty egress", Base with { Egress = new EgressSpec { Ranges = [] } }, "egress.ranges", "at least one range" },
        { "IPv6 egress on an IPv4-only mesh", Specs.RoutedV4() with { Egress = new EgressSpec { Ranges = ["fd00:1::/64"] } }, "egress.ranges[0]", "mesh has no IPv6 range" },
        { "client outside the mesh", Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "x", Addresses = ["10.99.0.1"] }] } }, "ingress.clients[0].addresses[0]", "outside the mesh ranges" },
        { "IPv6 client on an IPv4-only mesh", Specs.RoutedV4() with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "x", Addresses = ["fd10::5"] }] } }, "ingress.clients[0].addresses[0]", "outside the mesh ranges" },
        { "client with a subnet", Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "x", Addresses = ["10.10.0.0/30"] }] } }, "ingress.clients[0].addresses[0]", "single host (/32)" },
        { "client malformed", Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "x", Addresses = ["10.10.0.300"] }] } }, "ingress.clients[0].addresses[0]", "not an IPv4 or IPv6 address" },
        { "client without address", Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "x" }] } }, "ingress.clients[0].addresses", "at least one address" },
        { "client without name", Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = " ", Addresses = ["10.10.0.9"] }] } }, "ingress.clients[0].name", "needs a name" },
        {
            "two clients one address",
            Base with { Ingress = new IngressSpec { Clients = [new ExtClientSpec { Name = "a", Addresses = ["10.10.0.9"] }, new ExtClientSpec { Name = "b", Addresses = ["10.10.0.9/32"] }] } },
            "ingress.clients[1].addresses[0]", "already used by ext client 'a'"
        },
        { "remote without egress", Base with { Egress = null }, "remoteRanges", "need this node to be an egress gateway" },
        { "remote overlaps own egress", Base with { RemoteRanges = ["192.168.0.0/16"] }, "remoteRanges[0]", "which is a mesh or local egress range" },
        { "remote overlaps remote", Base with { RemoteRanges = ["192.168.50.0/24", "192.168.50.128/25"] }, "remoteRanges[1]", "overlaps remoteRanges[0]" },
        { "remote is the default route", Base with { RemoteRanges = ["0.0.0.0/0"] }, "remoteRanges[0]", "overlaps" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Bad_spec_is_rejected_naming_the_field(string row, GatewayFirewallSpec spec, string field, string reason)
    {
        var e = Assert.Throws<GatewaySpecException>(() => GatewayFirewallPlan.Create(spec));
        Assert.True(e.Field == field, $"{row}: field {e.Field}, expected {field} ({e.Message})");
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, GatewayFirewallSpec> GoodSpecs => new()
    {
        { "dual stack with everything", Base },
        { "routed IPv4", Specs.RoutedV4() },
        { "internet gateway over the mesh range", Base with { RemoteRanges = [], Egress = new EgressSpec { Ranges = ["0.0.0.0/0", "::/0"] } } },
        { "internet gateway with another site's LAN", Base with { RemoteRanges = ["192.168.50.0/24"], Egress = new EgressSpec { Ranges = ["0.0.0.0/0", "::/0"] } } },
        { "ingress only, no clients yet", new GatewayFirewallSpec { MeshInterface = "wg0", MeshRanges = ["10.1.0.0/24"], Ingress = new IngressSpec() } },
        { "IPv6-only mesh", new GatewayFirewallSpec { MeshInterface = "wg0", MeshRanges = ["fd20::/64"], Egress = new EgressSpec { Ranges = ["fd21::/64"] } } },
        { "1000 clients", Specs.Large(1000, 20) },
    };

    [Theory]
    [MemberData(nameof(GoodSpecs))]
    public void Good_spec_validates(string row, GatewayFirewallSpec spec)
    {
        var plan = GatewayFirewallPlan.Create(spec);
        Assert.True(plan.MeshRanges.Count > 0, row);
    }

    [Fact]
    public void An_internet_gateways_default_route_stands_for_its_family()
    {
        // The server lets an internet gateway also name its LAN; the default route covers it (and a LAN that
        // would clash with the mesh), the other family keeps its ranges.
        var plan = GatewayFirewallPlan.Create(Base with { RemoteRanges = [], Egress = new EgressSpec { Ranges = ["192.168.1.0/24", "10.0.0.0/8", "0.0.0.0/0", "fd10:1::/64"] } });
        Assert.Equal(["0.0.0.0/0", "fd10:1::/64"], plan.EgressRanges.Select(r => r.ToString()));
        var v6 = GatewayFirewallPlan.Create(Base with { RemoteRanges = [], Egress = new EgressSpec { Ranges = ["192.168.1.0/24", "::/0", "fd10:1::/64"] } });
        Assert.Equal(["192.168.1.0/24", "::/0"], v6.EgressRanges.Select(r => r.ToString()));
        // Ranges left out still have to be well-formed, and kept ones are named by their place in the spec.
        var bad = Assert.Throws<GatewaySpecException>(() => GatewayFirewallPlan.Create(Base with { Egress = new EgressSpec { Ranges = ["0.0.0.0/0", "lan"] } }));
        Assert.Equal("egress.ranges[1]", bad.Field);
        var clash = Assert.Throws<GatewaySpecException>(() => GatewayFirewallPlan.Create(Base with { RemoteRanges = [], Egress = new EgressSpec { Ranges = ["0.0.0.0/0", "fd10:1::/64", "fd10:1::/80"] } }));
        Assert.Equal("egress.ranges[2]", clash.Field);
        Assert.Contains("overlaps egress.ranges[1]", clash.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_clients_are_split_from_allowed()
    {
        var plan = GatewayFirewallPlan.Create(Specs.Large(1000, 20));
        Assert.Equal(100, plan.DeniedClients.Count);
        Assert.Equal(900, plan.AllowedClients.Count);
    }
}
