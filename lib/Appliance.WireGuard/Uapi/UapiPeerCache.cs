using Appliance.Contracts;

namespace Appliance.WireGuard.Uapi;

/// <summary>
/// The device of the last <c>get=1</c> read and its peers by key, so that
/// <see cref="UapiParser.ParseDevice(string, ReadOnlySpan{byte}, UapiPeerCache?)"/> hands back the same
/// <see cref="WgPeer"/> (and endpoint and allowed-IP list) for a peer whose lines did not change, and the same
/// <see cref="WgDevice"/> when nothing did: the agent reads its device every second, and an idle mesh changes little
/// between reads. Values are compared, never assumed, so a stale cache costs allocations, not correctness. Not
/// thread-safe: one read at a time uses it.
/// </summary>
public sealed class UapiPeerCache
{
    private int _read;

    internal WgDevice? Device { get; private set; }

    /// <summary>The last read's peers; <see cref="Slot.Read"/> marks one already taken by the read under way (a repeated key).</summary>
    internal Dictionary<WgKey, Slot> Peers { get; } = [];

    /// <summary>The peers of the read under way (cleared and reused, not reallocated).</summary>
    internal List<WgPeer> Scratch { get; } = [];

    /// <summary>Starts a read: returns its number, never 0.</summary>
    internal int NextRead()
    {
        Scratch.Clear();
        _read = _read == int.MaxValue ? 1 : _read + 1;
        return _read;
    }

    /// <summary>Remembers <paramref name="device"/> as the last read.</summary>
    internal void Remember(WgDevice device)
    {
        if (ReferenceEquals(device, Device))
        {
            return;
        }
        Device = device;
        Peers.Clear();
        foreach (var p in device.Peers)
        {
            Peers[p.PublicKey] = new Slot(p, 0);
        }
    }

    internal record struct Slot(WgPeer Peer, int Read);
}
