using System.Net;
using System.Net.Sockets;
using Appliance.Server.Ipam;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Unit)]
public sealed class AddressPoolTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    [Fact]
    public void Hands_out_the_lowest_free_address_and_skips_network_and_broadcast()
    {
        var net = IPNetwork.Parse("10.0.0.0/30");
        var pool = new AddressPool(AddressFamily.InterNetwork);
        Assert.Equal(Ip("10.0.0.1"), pool.Next(net, T0));
        Assert.Equal(Ip("10.0.0.1"), pool.Next(net, T0)); // nothing is reserved until it is used
        pool.Use(Ip("10.0.0.1"));
        Assert.Equal(Ip("10.0.0.2"), pool.Next(net, T0));
        pool.Use(Ip("10.0.0.2"));
        var e = Assert.Throws<IpamExhaustedException>(() => pool.Next(net, T0));
        Assert.Contains("no free address left in 10.0.0.0/30", e.Message, StringComparison.Ordinal);
        // A release below the cursor is found again, and exhaustion is not sticky.
        pool.Release(Ip("10.0.0.1"));
        Assert.Equal(Ip("10.0.0.1"), pool.Next(net, T0));
    }

    [Fact]
    public void A_held_address_stays_taken_until_its_hold_ends_and_a_replaced_hold_counts_from_its_new_end()
    {
        var net = IPNetwork.Parse("10.0.0.0/24");
        var pool = new AddressPool(AddressFamily.InterNetwork);
        pool.Use(Ip("10.0.0.1"));
        pool.Use(Ip("10.0.0.2"));
        pool.Release(Ip("10.0.0.1"));
        pool.Hold(Ip("10.0.0.1"), T0.AddSeconds(10));
        Assert.Equal(Ip("10.0.0.3"), pool.Next(net, T0));
        pool.Hold(Ip("10.0.0.1"), T0.AddSeconds(20)); // held again (the store's ON CONFLICT replaces the end)
        Assert.Equal(Ip("10.0.0.3"), pool.Next(net, T0.AddSeconds(10)));
        Assert.Equal(1, pool.HeldCount);
        Assert.Equal(Ip("10.0.0.1"), pool.Next(net, T0.AddSeconds(20))); // "until <= now" is over, as in the store
        Assert.Equal(0, pool.HeldCount);
    }

    [Fact]
    public void An_address_in_use_and_held_stays_taken_until_both_are_gone()
    {
        var net = IPNetwork.Parse("10.0.0.0/24");
        var pool = new AddressPool(AddressFamily.InterNetwork);
        pool.Use(Ip("10.0.0.1"));
        pool.Hold(Ip("10.0.0.1"), T0.AddSeconds(1));
        Assert.Equal(Ip("10.0.0.2"), pool.Next(net, T0.AddSeconds(5))); // hold over, still used
        pool.Release(Ip("10.0.0.1"));
        Assert.Equal(Ip("10.0.0.1"), pool.Next(net, T0.AddSeconds(5)));
    }

    [Fact]
    public void A_new_range_starts_from_its_first_host_and_ignores_addresses_outside_it()
    {
        var pool = new AddressPool(AddressFamily.InterNetwork);
        pool.Use(Ip("10.1.0.1"));
        pool.Use(Ip("10.2.0.1"));
        Assert.Equal(Ip("10.1.0.2"), pool.Next(IPNetwork.Parse("10.1.0.0/24"), T0));
        Assert.Equal(Ip("10.2.0.2"), pool.Next(IPNetwork.Parse("10.2.0.0/24"), T0));
        Assert.Equal(Ip("10.3.0.1"), pool.Next(IPNetwork.Parse("10.3.0.0/24"), T0));
    }

    [Fact]
    public void Ipv6_skips_the_anycast_address_and_checks_the_family()
    {
        var pool = new AddressPool(AddressFamily.InterNetworkV6);
        var net = IPNetwork.Parse("fd00:1::/64");
        Assert.Equal(Ip("fd00:1::1"), pool.Next(net, T0));
        pool.Use(Ip("fd00:1::1"));
        Assert.Equal(Ip("fd00:1::2"), pool.Next(net, T0));
        var tiny = IPNetwork.Parse("fd00::/126");
        pool.Use(Ip("fd00::1"));
        pool.Use(Ip("fd00::2"));
        pool.Use(Ip("fd00::3"));
        Assert.Throws<IpamExhaustedException>(() => pool.Next(tiny, T0));
        Assert.Throws<ArgumentException>(() => pool.Next(IPNetwork.Parse("10.0.0.0/24"), T0));
        Assert.Throws<ArgumentException>(() => pool.Use(Ip("10.0.0.1")));
    }

    // The pool against the plain scan (AddressAllocator.Allocate over the taken set) through a few thousand random
    // joins, deletes with and without holds, hold renewals and clock steps: it must pick the same address every time.
    [Theory]
    [InlineData("10.9.0.0/24", 1)]
    [InlineData("10.9.0.0/27", 2)]
    [InlineData("fd09::/120", 3)]
    [InlineData("10.9.0.0/22", 4)]
    public void Picks_what_the_full_scan_picks_through_random_joins_deletes_and_holds(string cidr, int seed)
    {
        var net = IPNetwork.Parse(cidr);
        var family = net.BaseAddress.AddressFamily;
        var random = new Random(seed);
        var pool = new AddressPool(family);
        var used = new HashSet<IPAddress>();
        var holds = new Dictionary<IPAddress, DateTimeOffset>();
        var now = T0;
        for (var step = 0; step < 4000; step++)
        {
            // The model: holds that ended at or before now are gone.
            foreach (var ended in holds.Where(h => h.Value <= now).Select(h => h.Key).ToList())
            {
                holds.Remove(ended);
            }
            var taken = used.Concat(holds.Keys).ToHashSet();
            var roll = random.Next(100);
            if (roll < 55)
            {
                IPAddress? expected;
                try
                {
                    expected = AddressAllocator.Allocate(net, taken);
                }
                catch (IpamExhaustedException)
                {
                    expected = null;
                }
                if (expected is null)
                {
                    Assert.Throws<IpamExhaustedException>(() => pool.Next(net, now));
                    continue;
                }
                var got = pool.Next(net, now);
                Assert.True(expected.Equals(got), $"step {step}: the scan picks {expected}, the pool {got}");
                pool.Use(got);
                used.Add(got);
            }
            else if (roll < 85 && used.Count > 0)
            {
                var victim = used.ElementAt(random.Next(used.Count));
                used.Remove(victim);
                pool.Release(victim);
                if (random.Next(2) == 0)
                {
                    var until = now.AddSeconds(random.Next(0, 30));
                    holds[victim] = until;
                    pool.Hold(victim, until);
                }
            }
            else if (roll < 90 && holds.Count > 0)
            {
                var renewed = holds.Keys.ElementAt(random.Next(holds.Count));
                var until = now.AddSeconds(random.Next(-5, 30));
                holds[renewed] = until;
                pool.Hold(renewed, until);
            }
            else
            {
                now = now.AddSeconds(random.Next(1, 10));
            }
        }
        Assert.True(used.Count > 10, "the run should have filled part of the range");
    }

    [Fact]
    public void Fills_a_slash_16_without_repeating_an_address()
    {
        var net = IPNetwork.Parse("10.64.0.0/16");
        var pool = new AddressPool(AddressFamily.InterNetwork);
        var seen = new HashSet<IPAddress>();
        IPAddress? last = null;
        for (var i = 0; i < 65534; i++)
        {
            last = pool.Next(net, T0);
            Assert.True(seen.Add(last), $"{last} handed out twice");
            pool.Use(last);
        }
        Assert.Equal(Ip("10.64.255.254"), last);
        Assert.Throws<IpamExhaustedException>(() => pool.Next(net, T0));
    }
}
