using System.Net;
using System.Net.Sockets;

namespace Appliance.Server.Ipam;

/// <summary>
/// The addresses of one network and one address family that are taken — in use by a node or an ext client, or held
/// back after a delete until a given time — and the lowest free address of a range, found without a scan: a cursor
/// below which every address is taken except those in a sorted set of freed ones. <see cref="Next"/> gives the same
/// address as <see cref="AddressAllocator.Allocate"/> over the same taken set, in O(log N) amortized instead of O(N).
/// Pure: no I/O, no clock (the caller passes the time); not thread-safe (the store's write lock serializes it).
/// </summary>
public sealed class AddressPool(AddressFamily family)
{
    private readonly HashSet<UInt128> _used = [];
    private readonly Dictionary<UInt128, DateTimeOffset> _holds = [];
    private readonly PriorityQueue<UInt128, DateTimeOffset> _holdEnds = new();
    // Free addresses of _range below _cursor (every other address below it is taken).
    private readonly SortedSet<UInt128> _freeBelowCursor = [];
    private IPNetwork? _range;
    private UInt128 _first, _count, _cursor;

    public AddressFamily Family { get; } = family;

    /// <summary>Addresses in use by nodes and ext clients.</summary>
    public int UsedCount => _used.Count;

    /// <summary>Addresses held back after a delete (including holds that ended but were not looked at yet).</summary>
    public int HeldCount => _holds.Count;

    /// <summary>A node or ext client has this address.</summary>
    public void Use(IPAddress address)
    {
        var n = Number(address);
        _used.Add(n);
        _freeBelowCursor.Remove(n);
    }

    /// <summary>The node or ext client that had this address is gone (a hold, if any, keeps it taken).</summary>
    public void Release(IPAddress address)
    {
        var n = Number(address);
        if (_used.Remove(n) && !_holds.ContainsKey(n))
        {
            Freed(n);
        }
    }

    /// <summary>Keeps the address taken until <paramref name="until"/> (replacing an earlier hold of it, as the store does).</summary>
    public void Hold(IPAddress address, DateTimeOffset until)
    {
        var n = Number(address);
        _holds[n] = until;
        _holdEnds.Enqueue(n, until);
        _freeBelowCursor.Remove(n);
    }

    /// <summary>Frees the held addresses whose hold ended at or before <paramref name="now"/>; true when there were any.</summary>
    public bool EndHolds(DateTimeOffset now)
    {
        var ended = false;
        while (_holdEnds.TryPeek(out var n, out var until) && until <= now)
        {
            _holdEnds.Dequeue();
            // A hold that was replaced left its old entry in the queue: only the current one counts.
            if (_holds.TryGetValue(n, out var current) && current == until)
            {
                _holds.Remove(n);
                ended = true;
                if (!_used.Contains(n))
                {
                    Freed(n);
                }
            }
        }
        return ended;
    }

    /// <summary>
    /// The lowest free host address of <paramref name="range"/> (holds that ended by <paramref name="now"/> are free).
    /// Nothing is taken: the address counts as taken once <see cref="Use"/> is called with it.
    /// </summary>
    /// <exception cref="IpamExhaustedException">Every host address of the range is taken.</exception>
    public IPAddress Next(IPNetwork range, DateTimeOffset now)
    {
        if (range.BaseAddress.AddressFamily != Family)
        {
            throw new ArgumentException($"{range} is not an {Family} range", nameof(range));
        }
        EndHolds(now);
        if (!range.Equals(_range))
        {
            // A new range (the network's range changed, or the first call): start over from its first host.
            _range = range;
            _first = AddressAllocator.ToNumber(range.BaseAddress) + 1;
            _count = AddressAllocator.HostCount(range);
            _cursor = 0;
            _freeBelowCursor.Clear();
        }
        if (_freeBelowCursor.Count > 0)
        {
            return AddressAllocator.FromNumber(_freeBelowCursor.Min, Family);
        }
        while (_cursor < _count && IsTaken(_first + _cursor))
        {
            _cursor++;
        }
        if (_cursor >= _count)
        {
            throw new IpamExhaustedException(range);
        }
        return AddressAllocator.FromNumber(_first + _cursor, Family);
    }

    private bool IsTaken(UInt128 n) => _used.Contains(n) || _holds.ContainsKey(n);

    private void Freed(UInt128 n)
    {
        // Addresses at or above the cursor are found by the scan; one below it must be remembered.
        if (_range is not null && n >= _first && n - _first < _cursor)
        {
            _freeBelowCursor.Add(n);
        }
    }

    private UInt128 Number(IPAddress address) => address.AddressFamily == Family
        ? AddressAllocator.ToNumber(address)
        : throw new ArgumentException($"{address} is not an {Family} address", nameof(address));
}
