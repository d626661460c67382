using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.WireGuard;

namespace Appliance.Agent.Nat;

/// <summary>
/// The device's peers by node id, as the path planner reads them every second (issue #15): the maps and the desired
/// state's parsed keys are kept between calls, and a peer whose handshake, received bytes and endpoint did not move
/// keeps its <see cref="PeerObservation"/>, so an idle read makes no new objects. The map returned is valid until
/// the next call. Not thread-safe: the path loop alone uses it.
/// </summary>
public sealed class PeerObserver
{
    private readonly Dictionary<WgKey, WgPeer> _byKey = [];
    private Dictionary<string, PeerObservation> _now = new(StringComparer.Ordinal);
    private Dictionary<string, PeerObservation> _before = new(StringComparer.Ordinal);
    private NodeConfigDto? _keysOf;
    private WgKey?[] _keys = [];

    /// <summary>The observation of every desired peer the device has (a key the device lacks is left out).</summary>
    public IReadOnlyDictionary<string, PeerObservation> Observe(NodeConfigDto config, WgDevice device)
    {
        if (!ReferenceEquals(config, _keysOf))
        {
            // Keys compare as their bytes: any base64 spelling of a peer's key finds it.
            _keys = [.. config.Peers.Select(p => WgKey.TryParse(p.PublicKey, out var k) ? k : (WgKey?)null)];
            _keysOf = config;
        }
        _byKey.Clear();
        foreach (var p in device.Peers)
        {
            _byKey[p.PublicKey] = p;
        }
        (_now, _before) = (_before, _now);
        _now.Clear();
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is not { } key || !_byKey.TryGetValue(key, out var d))
            {
                continue;
            }
            var id = config.Peers[i].NodeId;
            DateTimeOffset? handshake = d.LastHandshake is { } hs && hs > DateTimeOffset.UnixEpoch ? hs : null;
            _now[id] = _before.TryGetValue(id, out var old) && old.LastHandshake == handshake && old.RxBytes == d.RxBytes && Equals(old.Endpoint, d.Endpoint)
                ? old
                : new PeerObservation(handshake, d.RxBytes, d.Endpoint);
        }
        return _now;
    }
}
