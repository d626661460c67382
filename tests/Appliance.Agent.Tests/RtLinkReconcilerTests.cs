using System.Globalization;
using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Netlink.Route;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// The pure diff of the mesh interface's addresses, routes and bypass routes, as tables: what rtnetlink reports, what
/// the desired state names, and the plan (<c>ip</c>-like lines, empty when nothing must change). The mesh interface is
/// index 7; <c>dev N</c> puts an address or route on another one.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RtLinkReconcilerTests
{
    private const int Mesh = 7;
    private const uint Bypass = MeshApplier.BypassMetric;

    public static TheoryData<string, string, string, string[]> AddressRows() => new()
    {
        // name, current addresses, desired addresses, plan
        { "nothing to do: the address is there", "10.10.0.1/24", "10.10.0.1/24", [] },
        { "nothing to do: both families are there", "10.10.0.1/24, fd10::1/64", "fd10::1/64, 10.10.0.1/24", [] },
        { "nothing to do: the kernel's link-local address is left alone", "10.10.0.1/24, fe80::1/64", "10.10.0.1/24", [] },
        { "nothing to do: another interface's addresses are not ours", "192.0.2.5/24 dev 2", "", [] },
        { "a first start adds every address", "", "10.10.0.1/24, fd10::1/64", ["address add 10.10.0.1/24 dev#7", "address add fd10::1/64 dev#7"] },
        { "a new address replaces the old one, old first", "10.10.0.1/24", "10.10.0.7/24", ["address del 10.10.0.1/24 dev#7", "address add 10.10.0.7/24 dev#7"] },
        { "another prefix length is another address", "10.10.0.1/24", "10.10.0.1/16", ["address del 10.10.0.1/24 dev#7", "address add 10.10.0.1/16 dev#7"] },
        { "an address no longer desired goes", "10.10.0.1/24, fd10::1/64", "10.10.0.1/24", ["address del fd10::1/64 dev#7"] },
    };

    [Theory]
    [MemberData(nameof(AddressRows))]
    public void Addresses_are_diffed(string name, string current, string desired, string[] plan)
    {
        var diff = RtLinkReconciler.DiffAddresses(Mesh, Addresses(current), [.. Addresses(desired).Select(a => (a.Address, a.PrefixLength))]);
        Assert.True(plan.SequenceEqual(diff.Describe()), $"{name}: got [{string.Join("; ", diff.Describe())}]");
        Assert.Equal(plan.Length == 0, diff.IsEmpty);
    }

    public static TheoryData<string, string, string, string, string[]> RouteRows() => new()
    {
        // name, current routes, the interface's addresses, desired destinations, plan
        { "nothing to do: every peer's route is there", "10.10.0.2/32, 10.10.0.3/32", "10.10.0.1/24", "10.10.0.2/32, 10.10.0.3/32", [] },
        { "nothing to do: the connected subnet is the kernel's", "10.10.0.0/24, fd10::/64", "10.10.0.1/24, fd10::1/64", "", [] },
        { "nothing to do: link-local and multicast routes are the kernel's", "fe80::/64, ff00::/8", "", "", [] },
        { "nothing to do: routes via a gateway or on another interface are not ours", "192.168.1.0/24 via 10.10.0.9, 10.20.0.0/16 dev 2", "", "", [] },
        { "nothing to do: no routes wanted, none there", "", "10.10.0.1/24", "", [] },
        { "a first start adds every route", "10.10.0.0/24", "10.10.0.1/24", "10.10.0.2/32, 192.168.1.0/24", ["route add 10.10.0.2/32 dev#7", "route add 192.168.1.0/24 dev#7"] },
        { "a peer that left loses its route", "10.10.0.2/32, 10.10.0.3/32", "10.10.0.1/24", "10.10.0.2/32", ["route del 10.10.0.3/32 dev#7"] },
        { "a route through the mesh that the state does not name is stale", "10.99.0.0/16", "10.10.0.1/24", "", ["route del 10.99.0.0/16 dev#7"] },
        { "an internet gateway's split default routes come and a desired route already there stays", "10.10.0.2/32", "", "10.10.0.2/32, 0.0.0.0/1, 128.0.0.0/1", ["route add 0.0.0.0/1 dev#7", "route add 128.0.0.0/1 dev#7"] },
        { "a route that moved from another interface is added here", "192.168.1.0/24 dev 2", "", "192.168.1.0/24", ["route add 192.168.1.0/24 dev#7"] },
    };

    [Theory]
    [MemberData(nameof(RouteRows))]
    public void Routes_are_diffed(string name, string current, string addresses, string desired, string[] plan)
    {
        var diff = RtLinkReconciler.DiffRoutes(Mesh, Routes(current), Addresses(addresses), [.. List(desired).Select(IPNetwork.Parse)]);
        Assert.True(plan.SequenceEqual(diff.Describe()), $"{name}: got [{string.Join("; ", diff.Describe())}]");
        Assert.Equal(plan.Length == 0, diff.IsEmpty);
    }

    private const string Lan = "192.0.2.0/24 dev 2, 0.0.0.0/0 via 192.0.2.1 dev 2 metric 100";

    public static TheoryData<string, string, string, string[]> BypassRows() => new()
    {
        // name, current routes, hosts to keep outside the tunnel, plan
        { "nothing to do: no hosts and no bypass routes", Lan, "", [] },
        { "nothing to do: the bypass route is there", Lan + ", 203.0.113.9/32 via 192.0.2.1 dev 2 metric 4150", "203.0.113.9", [] },
        { "nothing to do: a host on a connected network needs none", Lan, "192.0.2.50", [] },
        { "nothing to do: the mesh's own split routes are no way around it", "0.0.0.0/1, 128.0.0.0/1", "203.0.113.9", [] },
        { "nothing to do: a host route of someone else's is not a bypass route", Lan + ", 198.51.100.7/32 via 192.0.2.1 dev 2", "", [] },
        { "a host the default route carries gets a host route through it", Lan, "203.0.113.9", ["route add 203.0.113.9/32 via 192.0.2.1 dev#2 metric 4150"] },
        { "a host no longer in use loses its bypass route", Lan + ", 203.0.113.9/32 via 192.0.2.1 dev 2 metric 4150", "", ["route del 203.0.113.9/32 via 192.0.2.1 dev#2 metric 4150"] },
        { "an IPv6 host takes the IPv6 default route", "::/0 via fe80::1 dev 2 metric 1024", "2001:db8::9", ["route add 2001:db8::9/128 via fe80::1 dev#2 metric 4150"] },
        { "of two default routes the lower metric wins", "0.0.0.0/0 via 192.0.2.1 dev 2 metric 600, 0.0.0.0/0 via 198.51.100.1 dev 3 metric 100", "203.0.113.9", ["route add 203.0.113.9/32 via 198.51.100.1 dev#3 metric 4150"] },
        {
            "the default route moved: the bypass route follows, old first",
            "0.0.0.0/0 via 198.51.100.1 dev 3 metric 100, 203.0.113.9/32 via 192.0.2.1 dev 2 metric 4150", "203.0.113.9",
            ["route del 203.0.113.9/32 via 192.0.2.1 dev#2 metric 4150", "route add 203.0.113.9/32 via 198.51.100.1 dev#3 metric 4150"]
        },
    };

    [Theory]
    [MemberData(nameof(BypassRows))]
    public void Bypass_routes_are_diffed(string name, string current, string hosts, string[] plan)
    {
        var diff = RtLinkReconciler.DiffBypassRoutes(Mesh, Routes(current), [.. List(hosts).Select(IPAddress.Parse)], Bypass);
        Assert.True(plan.SequenceEqual(diff.Describe()), $"{name}: got [{string.Join("; ", diff.Describe())}]");
        Assert.Equal(plan.Length == 0, diff.IsEmpty);
    }

    [Fact]
    public void With_the_interface_gone_every_bypass_route_goes_and_nothing_else()
    {
        var diff = RtLinkReconciler.DiffBypassRoutes(-1, Routes(Lan + ", 203.0.113.9/32 via 192.0.2.1 dev 2 metric 4150, 0.0.0.0/1"), [], Bypass);
        Assert.Equal(["route del 203.0.113.9/32 via 192.0.2.1 dev#2 metric 4150"], diff.Describe());
        Assert.Same(RtLinkPlan.Empty, RtLinkReconciler.DiffBypassRoutes(-1, Routes(Lan), [], Bypass));
    }

    private static IEnumerable<string> List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // "10.10.0.1/24" on the mesh interface, "192.0.2.5/24 dev 2" elsewhere.
    private static List<RtAddress> Addresses(string text) =>
    [
        .. List(text).Select(spec =>
        {
            var words = spec.Split(' ');
            var slash = words[0].IndexOf('/', StringComparison.Ordinal);
            return new RtAddress(Option(words, "dev") is { } dev ? int.Parse(dev, CultureInfo.InvariantCulture) : Mesh,
                IPAddress.Parse(words[0][..slash]), int.Parse(words[0][(slash + 1)..], CultureInfo.InvariantCulture));
        }),
    ];

    // "10.10.0.2/32" through the mesh interface; "0.0.0.0/0 via 192.0.2.1 dev 2 metric 100" as `ip route` spells it.
    private static List<RtRoute> Routes(string text) =>
    [
        .. List(text).Select(spec =>
        {
            var words = spec.Split(' ');
            return new RtRoute(IPNetwork.Parse(words[0]),
                Option(words, "dev") is { } dev ? int.Parse(dev, CultureInfo.InvariantCulture) : Mesh,
                Gateway: Option(words, "via") is { } via ? IPAddress.Parse(via) : null,
                Metric: Option(words, "metric") is { } metric ? uint.Parse(metric, CultureInfo.InvariantCulture) : null);
        }),
    ];

    private static string? Option(string[] words, string key)
    {
        var i = Array.IndexOf(words, key);
        return i >= 0 && i + 1 < words.Length ? words[i + 1] : null;
    }
}
