using System.Net;
using Appliance.Server.Ipam;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

public sealed class AddressAllocatorTests
{
    private static HashSet<IPAddress> Set(params string[] a) => a.Select(IPAddress.Parse).ToHashSet();

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Ipv4_starts_after_the_network_address()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.1"), AddressAllocator.Allocate(IPNetwork.Parse("10.0.0.0/24"), Set()));
        Assert.Equal(IPAddress.Parse("10.0.0.3"), AddressAllocator.Allocate(IPNetwork.Parse("10.0.0.0/24"), Set("10.0.0.1", "10.0.0.2")));
        Assert.Equal(IPAddress.Parse("10.0.0.2"), AddressAllocator.Allocate(IPNetwork.Parse("10.0.0.0/24"), Set("10.0.0.1", "10.0.0.3")));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Ipv4_never_hands_out_broadcast_and_exhaustion_is_a_typed_error()
    {
        var net = IPNetwork.Parse("10.0.0.0/30"); // .1 and .2 usable; .0 network, .3 broadcast
        Assert.Equal(2, (int)AddressAllocator.UsableCount(net));
        var taken = Set("10.0.0.1");
        Assert.Equal(IPAddress.Parse("10.0.0.2"), AddressAllocator.Allocate(net, taken));
        taken.Add(IPAddress.Parse("10.0.0.2"));
        var e = Assert.Throws<IpamExhaustedException>(() => AddressAllocator.Allocate(net, taken));
        Assert.Contains("10.0.0.0/30", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Ipv6_skips_the_subnet_router_anycast_address()
    {
        var net = IPNetwork.Parse("fd00:1::/64");
        Assert.Equal(IPAddress.Parse("fd00:1::1"), AddressAllocator.Allocate(net, Set()));
        Assert.Equal(IPAddress.Parse("fd00:1::3"), AddressAllocator.Allocate(net, Set("fd00:1::1", "fd00:1::2")));
        var tiny = IPNetwork.Parse("fd00::/126");
        Assert.Throws<IpamExhaustedException>(() => AddressAllocator.Allocate(tiny, Set("fd00::1", "fd00::2", "fd00::3")));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Addresses_outside_the_range_do_not_count_against_it()
    {
        var net = IPNetwork.Parse("10.1.0.0/30");
        Assert.Equal(IPAddress.Parse("10.1.0.1"), AddressAllocator.Allocate(net, Set("10.2.0.1", "10.2.0.2", "fd00::1")));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Large_ranges_allocate_densely_and_uniquely()
    {
        var net = IPNetwork.Parse("10.64.0.0/16");
        var taken = new HashSet<IPAddress>();
        for (var i = 0; i < 2000; i++)
        {
            Assert.True(taken.Add(AddressAllocator.Allocate(net, taken)));
        }
        Assert.Contains(IPAddress.Parse("10.64.7.208"), taken); // the 2000th host
        Assert.DoesNotContain(IPAddress.Parse("10.64.0.0"), taken);
    }
}
