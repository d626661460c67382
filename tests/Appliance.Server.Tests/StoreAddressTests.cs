using System.Net;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Ipam;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The store's in-memory address pools against a real SQLite file: they must always agree with a full scan of what
/// the database holds, across rollbacks, deletes, holds, ext clients, network deletes, restarts and concurrent writers.
/// </summary>
public abstract class StoreAddressTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IPNetwork V4 = IPNetwork.Parse("10.20.0.0/24");
    private static readonly IPNetwork V6 = IPNetwork.Parse("fd20::/64");
    private readonly StoreUnderTest _under;

    protected StoreAddressTests(StoreKind kind)
    {
        _under = new StoreUnderTest(kind);
        Write(s => s.InsertNetwork(new NetworkRecord("home", V4, V6, 51820, 1420, 20, 1, T0)));
    }

    /// <summary>The store under test (a restart replaces it).</summary>
    protected IApplianceStore Store => _under.Store;

    /// <summary>The store's data, for looks beside it.</summary>
    protected StoreUnderTest Under => _under;

    public void Dispose()
    {
        _under.Dispose();
    }

    private void Write(Action<IStoreSession> work) => Store.WriteAsync(s => { work(s); return 0; }).GetAwaiter().GetResult();

    private T Write<T>(Func<IStoreSession, T> work) => Store.WriteAsync(work).GetAwaiter().GetResult();

    private static int _nodes;

    private static NodeRecord Node(string network, IPAddress? v4, IPAddress? v6)
    {
        var n = Interlocked.Increment(ref _nodes);
        return new NodeRecord($"node{n}", network, $"n{n}", $"n{n}", $"pk{n}", v4, v6, 51820, [], "", "", [], "hash", null, T0, null);
    }

    /// <summary>A join as JoinService does it: both addresses, then the insert, in one session.</summary>
    private static NodeRecord Join(IStoreSession s, DateTimeOffset now, string network = "home")
    {
        var net = s.FindNetwork(network)!;
        var node = Node(network, s.NextFreeAddress(network, net.Ipv4Cidr, now), net.Ipv6Cidr is { } v6 ? s.NextFreeAddress(network, v6, now) : null);
        s.InsertNode(node);
        return node;
    }

    /// <summary>What the old full scan would pick: every address the database holds for the network, then the lowest free.</summary>
    private (IPAddress V4, IPAddress V6) Scan(DateTimeOffset now) => Store.ReadAsync(s =>
    {
        var taken = new HashSet<IPAddress>();
        foreach (var n in s.ListNodes("home"))
        {
            taken.UnionWith(new[] { n.Ipv4, n.Ipv6 }.OfType<IPAddress>());
        }
        foreach (var c in s.ListExtClients("home"))
        {
            taken.UnionWith(new[] { c.Ipv4, c.Ipv6 }.OfType<IPAddress>());
        }
        return (AddressAllocator.Allocate(V4, taken.Union(HeldAt(now)).ToHashSet()), AddressAllocator.Allocate(V6, taken.Union(HeldAt(now)).ToHashSet()));
    }).GetAwaiter().GetResult();

    private HashSet<IPAddress> HeldAt(DateTimeOffset now)
    {
        var held = new HashSet<IPAddress>();
        foreach (var row in _under.Rows("SELECT address, until FROM address_holds WHERE network = 'home'"))
        {
            if (DateTimeOffset.Parse(row[1]!, System.Globalization.CultureInfo.InvariantCulture) > now)
            {
                held.Add(IPAddress.Parse(row[0]!));
            }
        }
        return held;
    }

    private (IPAddress V4, IPAddress V6) Next(DateTimeOffset now) => Write(s => (s.NextFreeAddress("home", V4, now), s.NextFreeAddress("home", V6, now)));

    [Fact]
    public void A_rolled_back_join_gives_its_address_back_and_a_rolled_back_delete_keeps_it_taken()
    {
        var first = Write(s => Join(s, T0));
        var e = Assert.Throws<InvalidOperationException>(() => Write(s =>
        {
            var doomed = Join(s, T0);
            Assert.Equal(IPAddress.Parse("10.20.0.2"), doomed.Ipv4);
            Assert.Equal(IPAddress.Parse("10.20.0.3"), s.NextFreeAddress("home", V4, T0)); // the session sees its own insert
            throw new InvalidOperationException("fail after the insert");
        }));
        Assert.Equal("fail after the insert", e.Message);
        Assert.Equal((IPAddress.Parse("10.20.0.2"), IPAddress.Parse("fd20::2")), Next(T0));

        Assert.Throws<InvalidOperationException>(() => Write(s =>
        {
            s.DeleteNode(first.Id);
            Assert.Equal(IPAddress.Parse("10.20.0.1"), s.NextFreeAddress("home", V4, T0));
            throw new InvalidOperationException("fail after the delete");
        }));
        Assert.Equal((IPAddress.Parse("10.20.0.2"), IPAddress.Parse("fd20::2")), Next(T0));
        Assert.Equal(Scan(T0), Next(T0));
    }

    [Fact]
    public void Deletes_holds_and_ext_clients_keep_the_pools_equal_to_a_full_scan_and_a_restart_rebuilds_them()
    {
        var now = T0;
        var nodes = new List<NodeRecord>();
        for (var i = 0; i < 12; i++)
        {
            nodes.Add(Write(s => Join(s, now)));
        }
        // An ingress gateway with two ext clients (they take addresses from the same ranges).
        var gateway = nodes[3];
        var clients = Write(s => Enumerable.Range(0, 2).Select(i =>
        {
            var c = new ExtClientRecord($"ext-{i}", "home", $"client{i}", gateway.Id, $"cpk{i}", null,
                s.NextFreeAddress("home", V4, now), s.NextFreeAddress("home", V6, now), true, null, now);
            s.InsertExtClient(c);
            return c;
        }).ToList());
        Assert.Equal(IPAddress.Parse("10.20.0.13"), clients[0].Ipv4);
        Assert.Equal(Scan(now), Next(now));

        // A plain delete with a hold (as NodeService does), a delete without one, and the gateway with its clients.
        Write(s =>
        {
            s.DeleteNode(nodes[1].Id);
            s.HoldAddresses("home", [nodes[1].Ipv4!, nodes[1].Ipv6!], now.AddSeconds(60));
        });
        Write(s => s.DeleteNode(nodes[5].Id));
        Assert.Equal((nodes[5].Ipv4, nodes[5].Ipv6), Next(now));
        Write(s =>
        {
            s.DeleteNode(gateway.Id);
            s.HoldAddresses("home", [clients[1].Ipv4!], now.AddSeconds(30));
        });
        Assert.Equal((gateway.Ipv4, gateway.Ipv6), Next(now));
        Assert.Equal(Scan(now), Next(now));
        Write(s => s.DeleteExtClient("ext-0")); // already gone with its gateway: nothing changes
        Assert.Equal(Scan(now), Next(now));

        // Restart: a new store on the same file loads the pools from the database, holds included.
        _under.Reopen();
        Assert.Equal((gateway.Ipv4, gateway.Ipv6), Next(now));
        foreach (var later in new[] { now, now.AddSeconds(30), now.AddSeconds(60) })
        {
            Assert.Equal(Scan(later), Next(later));
            var joined = Write(s => Join(s, later));
            Assert.Equal(joined.Ipv4, Write(s => s.FindNode(joined.Id))!.Ipv4);
            Assert.Equal(Scan(later), Next(later));
        }
        // The ended holds were tidied from the database too.
        Assert.Empty(HeldAt(DateTimeOffset.MinValue));
    }

    [Fact]
    public void A_network_deleted_and_created_again_starts_from_its_first_address()
    {
        var node = Write(s => Join(s, T0));
        Write(s =>
        {
            s.DeleteNode(node.Id);
            s.HoldAddresses("home", [node.Ipv4!], T0.AddHours(1));
            s.DeleteNetwork("home");
            s.InsertNetwork(new NetworkRecord("home", V4, V6, 51820, 1420, 20, 1, T0));
        });
        Assert.Equal((IPAddress.Parse("10.20.0.1"), IPAddress.Parse("fd20::1")), Next(T0));
    }

    [Fact]
    public async Task Allocation_outside_a_write_session_is_refused()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.ReadAsync(s => s.NextFreeAddress("home", V4, T0)));
        Assert.Contains("write sessions only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_writers_never_get_the_same_address_and_fill_the_range_densely()
    {
        var joined = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => Store.WriteAsync(s => Join(s, T0)))));
        Assert.Equal(200, joined.Select(n => n.Ipv4).Distinct().Count());
        Assert.Equal(200, joined.Select(n => n.Ipv6).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 200).Select(i => IPAddress.Parse($"10.20.0.{i}")).ToHashSet(), joined.Select(n => n.Ipv4!).ToHashSet());
    }

    [Fact]
    public async Task A_full_range_gives_the_typed_error_and_leaves_nothing_behind()
    {
        Write(s => s.InsertNetwork(new NetworkRecord("tiny", IPNetwork.Parse("10.21.0.0/30"), null, 51820, 1420, 20, 1, T0)));
        Write(s => Join(s, T0, "tiny"));
        Write(s => Join(s, T0, "tiny"));
        var e = Assert.Throws<IpamExhaustedException>(() => Write(s => Join(s, T0, "tiny")));
        Assert.Contains("10.21.0.0/30", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, await Store.ReadAsync(s => s.CountNodes("tiny")));
    }
}
