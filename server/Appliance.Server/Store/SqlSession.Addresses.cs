using System.Net;

namespace Appliance.Server.Store;

// Address allocation through the store's AddressBook: the next free address without reading the network's addresses,
// and every write that adds, removes or holds an address applied to the loaded pools as well.
internal sealed partial class SqlSession
{
    private readonly HashSet<string> _touchedNetworks = new(StringComparer.Ordinal);

    /// <summary>
    /// The networks whose pools this session loaded or changed. When the transaction does not commit, the store drops
    /// them from the book (they are loaded from the database again on next use), so a rollback never leaves an
    /// address taken or free in memory that is not so in the database.
    /// </summary>
    public IReadOnlyCollection<string> TouchedNetworks => _touchedNetworks;

    public IPAddress NextFreeAddress(string network, IPNetwork range, DateTimeOffset now)
    {
        var book = addresses ?? throw new InvalidOperationException("addresses are allocated in write sessions only");
        var pool = PoolsOf(book, network).For(range.BaseAddress.AddressFamily);
        _touchedNetworks.Add(network);
        if (pool.EndHolds(now))
        {
            // The pool already treats them as free; the rows only need tidying.
            Execute("DELETE FROM address_holds WHERE network = $n AND until <= $now", ("$n", network), ("$now", Time(now)));
        }
        return pool.Next(range, now);
    }

    private NetworkPools PoolsOf(AddressBook book, string network)
    {
        if (book.TryGet(network, out var pools))
        {
            return pools;
        }
        // Loaded inside this transaction: if it rolls back, the pools go with it (TouchedNetworks).
        _touchedNetworks.Add(network);
        pools = new NetworkPools();
        foreach (var a in Query(
            "SELECT ipv4 FROM nodes WHERE network = $n AND ipv4 IS NOT NULL UNION ALL SELECT ipv6 FROM nodes WHERE network = $n AND ipv6 IS NOT NULL " +
            "UNION ALL SELECT ipv4 FROM ext_clients WHERE network = $n AND ipv4 IS NOT NULL UNION ALL SELECT ipv6 FROM ext_clients WHERE network = $n AND ipv6 IS NOT NULL",
            r => r.GetString(0), ("$n", network)))
        {
            pools.Use(IPAddress.Parse(a));
        }
        foreach (var (a, until) in Query("SELECT address, until FROM address_holds WHERE network = $n",
            r => (r.GetString(0), r.GetString(1)), ("$n", network)))
        {
            var address = IPAddress.Parse(a);
            pools.For(address.AddressFamily).Hold(address, ParseTime(until));
        }
        book.Add(network, pools);
        return pools;
    }

    /// <summary>The loaded pools of a network this session changes (null when none are loaded: nothing to keep in step).</summary>
    private NetworkPools? Changing(string network)
    {
        if (addresses is null || !addresses.TryGet(network, out var pools))
        {
            return null;
        }
        _touchedNetworks.Add(network);
        return pools;
    }

    private void UseAddresses(string network, IPAddress? ipv4, IPAddress? ipv6)
    {
        if (Changing(network) is { } pools)
        {
            pools.Use(ipv4);
            pools.Use(ipv6);
        }
    }

    private void HoldAddress(string network, IPAddress address, DateTimeOffset until) =>
        Changing(network)?.For(address.AddressFamily).Hold(address, until);

    /// <summary>Releases the addresses of the rows (network, ipv4, ipv6) the query finds, before they are deleted or changed.</summary>
    private void ReleaseAddressesOfRows(string sql, params (string, object?)[] parameters)
    {
        if (addresses is null || addresses.IsEmpty)
        {
            return;
        }
        foreach (var (network, ipv4, ipv6) in Query(sql, r => (r.GetString(0), NullableString(r, 1), NullableString(r, 2)), parameters))
        {
            if (Changing(network) is { } pools)
            {
                pools.Release(ipv4 is null ? null : IPAddress.Parse(ipv4));
                pools.Release(ipv6 is null ? null : IPAddress.Parse(ipv6));
            }
        }
    }

    private void ForgetAddresses(string network)
    {
        if (addresses is not null)
        {
            _touchedNetworks.Add(network);
            addresses.Forget(network);
        }
    }
}
