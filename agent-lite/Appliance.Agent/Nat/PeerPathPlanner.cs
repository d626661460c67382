using Appliance.Contracts.Api;

namespace Appliance.Agent.Nat;

/// <summary>
/// Chooses the path to every peer node (issue #18): a pure state machine stepped with the desired state, what the
/// WireGuard device shows and the time, so it is tested on a fake clock without a device.
/// <list type="bullet">
/// <item><b>Probing</b>: the peer's candidates (<see cref="PeerCandidates"/>) are programmed one after the other, each for
/// <see cref="ProbeTime"/>, with keepalives: both sides of a pair do it from the same server update, so
/// endpoint-independent NATs open for each other (hole punching).</item>
/// <item><b>Direct</b>: a handshake younger than <see cref="FreshHandshake"/>; the endpoint is left to WireGuard's
/// roaming. A pair with a handshake keeps it, whatever its candidates do; one that loses it probes again.</item>
/// <item><b>Relayed</b>: every candidate failed and a relay is alive: the peer's addresses move to the relay's
/// WireGuard peer. The first live relay in the server's (name) order is taken, so both sides of a pair take the same
/// one; it is kept while it lives (a relay that comes back takes nothing back), and replaced by the next live one when
/// it stops sending (<see cref="RelayDeadAfter"/>: relays and their peers keep each other alive every
/// <see cref="RelayKeepalive"/> seconds). The first candidate stays programmed: a late handshake still goes direct.</item>
/// </list>
/// A change of either side's candidates (the pair's key) starts a search again unless the pair has a handshake:
/// both sides receive it in the same update, so they move together. Neither a relay nor a peer that is a relay is
/// ever relayed.
/// <para>
/// <b>The first initiation of a new pair comes from one side.</b> Both sides add each other from the same update,
/// within milliseconds; if both send a handshake initiation at once (a keepalive sends one when it is switched on),
/// the initiations cross, each side answers the other's and drops the answer to its own, and WireGuard then sends no
/// new initiation for 5 s (REKEY_TIMEOUT), whatever traffic asks. So a peer new to this node is programmed with no
/// keepalive until the planner has stepped it once (<see cref="PathOverlay"/>), and the side whose node id sorts
/// higher keeps it quiet for <see cref="KeepaliveHold"/> more, unless a handshake comes first (<see cref="PeerPath.Quiet"/>).
/// The lower side's initiation then normally finds the higher side ready; if it was too early and dropped, the higher
/// side's own, at the end of its hold, still comes before WireGuard's 5 s retry. Traffic starts a handshake as ever.
/// A pair that punches through NATs (either side has a mapped endpoint) is never held: there both sides must send at
/// once, as before, because a packet that reaches a NAT before its own side has sent out makes the NAT's connection
/// tracking take that port, and the late side's packets then leave from another one (<see cref="HoldsFirstInitiation"/>).
/// </para>
/// </summary>
public sealed class PeerPathPlanner
{
    /// <summary>A WireGuard session older than this is dead (REJECT_AFTER_TIME, 180 s).</summary>
    public static readonly TimeSpan FreshHandshake = TimeSpan.FromSeconds(180);

    /// <summary>Keepalive, in seconds, between relays and every node: NAT mappings to relays stay open and a silent relay is noticed.</summary>
    public const int RelayKeepalive = 3;

    private readonly Dictionary<string, Entry> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RelayWatch> _relays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PeerPath> _paths = new(StringComparer.Ordinal);
    private NodeConfigDto? _relaysOf;
    private List<string> _relayIds = [];
    private int _step;

    /// <summary>How long the higher side of a new pair (by node id) keeps its keepalive off after the first step, unless a handshake comes first.</summary>
    public TimeSpan KeepaliveHold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one candidate is tried: WireGuard retries a handshake every 5 s, so two tries.</summary>
    public TimeSpan ProbeTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A relay from which nothing arrived for this long is taken for dead (three keepalives missed).</summary>
    public TimeSpan RelayDeadAfter { get; init; } = TimeSpan.FromSeconds(3 * RelayKeepalive);

    /// <summary>The path to each peer node, by node id, as of the last <see cref="Step"/>.</summary>
    public IReadOnlyDictionary<string, PeerPath> Paths => _paths;

    /// <summary>
    /// Moves every peer's state to <paramref name="now"/>; true when some path changed (the device needs applying).
    /// <paramref name="observed"/>: the device's peers by node id (missing: not on the device yet).
    /// </summary>
    public bool Step(NodeConfigDto config, IReadOnlyDictionary<string, PeerObservation> observed, DateTimeOffset now, bool noPunch = false)
    {
        // The idle agent steps every second: what depends only on the (immutable) desired state is computed once per
        // state, and a path object is made only when the path changes (issue #15: this step made ~100 KB a second
        // with 100 peers, candidates parsed and joined anew each time).
        if (!ReferenceEquals(config, _relaysOf))
        {
            _relaysOf = config;
            _relayIds = [.. config.Peers.Where(p => p.Relay).Select(p => p.NodeId)];
        }
        var relays = _relayIds;
        WatchRelays(relays, observed, now);
        var changed = false;
        var step = ++_step;
        var stepped = 0;
        foreach (var peer in config.Peers)
        {
            var fresh = observed.TryGetValue(peer.NodeId, out var o) && o.LastHandshake is { } hs && now - hs <= FreshHandshake;
            if (!_peers.TryGetValue(peer.NodeId, out var e))
            {
                var (c, k) = CandidatesOf(config.Interface, peer, noPunch);
                _peers[peer.NodeId] = e = new Entry { Key = k, Candidates = c, Since = now, Added = now };
                e.ComputedFor(peer, config.Interface, noPunch);
            }
            else if (!e.IsFor(peer, config.Interface, noPunch))
            {
                var (c, k) = CandidatesOf(config.Interface, peer, noPunch);
                e.Candidates = c;
                e.ComputedFor(peer, config.Interface, noPunch);
                if (e.Key != k)
                {
                    e.Key = k;
                    if (!fresh)
                    {
                        e.Restart(now);
                    }
                }
            }
            if (e.Step != step)
            {
                e.Step = step;
                stepped++;
            }
            var candidates = e.Candidates;
            var mayRelay = !config.Interface.Relay && !peer.Relay;
            e.Handshook |= fresh;
            if (fresh)
            {
                e.Kind = PeerPathKind.Direct;
                e.Via = null;
            }
            else
            {
                switch (e.Kind)
                {
                    case PeerPathKind.Direct:
                        e.Restart(now);
                        break;
                    case PeerPathKind.Probing when now - e.Since >= ProbeTime:
                        e.Index++;
                        e.Since = now;
                        if (e.Index >= candidates.Count)
                        {
                            if (mayRelay && FirstLiveRelay(relays, peer.NodeId, now) is { } relay)
                            {
                                e.Kind = PeerPathKind.Relayed;
                                e.Via = relay;
                            }
                            else
                            {
                                e.Index = 0; // no relay: keep trying the candidates round and round
                            }
                        }
                        break;
                    case PeerPathKind.Relayed:
                        if (!mayRelay || !relays.Contains(e.Via!))
                        {
                            e.Restart(now);
                        }
                        else if (!IsAlive(e.Via!, now) && FirstLiveRelay(relays, peer.NodeId, now) is { } next)
                        {
                            e.Via = next;
                        }
                        break;
                }
            }
            var quiet = !e.Handshook && now - e.Added < KeepaliveHold && string.CompareOrdinal(config.NodeId, peer.NodeId) > 0 && HoldsFirstInitiation(config, peer);
            var (kind, endpoint, via) = e.Kind switch
            {
                PeerPathKind.Direct => (PeerPathKind.Direct, null, null),
                PeerPathKind.Relayed => (PeerPathKind.Relayed, candidates.Count > 0 ? candidates[0] : null, e.Via),
                _ => (PeerPathKind.Probing, e.Index < candidates.Count ? candidates[e.Index] : null, (string?)null),
            };
            quiet &= kind == PeerPathKind.Probing;
            if (!_paths.TryGetValue(peer.NodeId, out var before)
                || before.Kind != kind || !Equals(before.Endpoint, endpoint) || before.Via != via || before.Quiet != quiet)
            {
                _paths[peer.NodeId] = new PeerPath(kind, endpoint, via) { Quiet = quiet };
                changed = true;
            }
        }
        if (_peers.Count > stepped)
        {
            foreach (var gone in _peers.Where(p => p.Value.Step != step).Select(p => p.Key).ToList())
            {
                _peers.Remove(gone);
                changed |= _paths.Remove(gone);
            }
        }
        return changed;
    }

    /// <summary>A peer's candidates in order, and the key whose change restarts its search (both sides' candidates).</summary>
    private static (IReadOnlyList<System.Net.IPEndPoint>, string) CandidatesOf(NodeInterfaceDto self, PeerDto peer, bool noPunch)
    {
        var candidates = PeerCandidates.Order(self, peer, noPunch);
        return (candidates, string.Join(',', self.Candidates ?? []) + "|" + string.Join(',', candidates));
    }

    /// <summary>
    /// Whether a new pair's first initiation is held to one side (see the class): not when the pair punches through
    /// NATs, that is when either side has a mapped endpoint and the network punches.
    /// </summary>
    public static bool HoldsFirstInitiation(NodeConfigDto config, PeerDto peer) =>
        config.Interface.NoPunching || (config.Interface.MappedEndpoint is null && peer.MappedEndpoint is null);

    // Loops, not LINQ with lambdas: this runs every second for every probing peer, and a lambda capturing locals is a
    // closure and a delegate each call (~1.75 KB/s with 100 peers, dotnet-trace; issue #15).
    private string? FirstLiveRelay(List<string> relays, string peer, DateTimeOffset now)
    {
        foreach (var r in relays)
        {
            if (r != peer && IsAlive(r, now))
            {
                return r;
            }
        }
        return null;
    }

    private bool IsAlive(string relay, DateTimeOffset now) => _relays.TryGetValue(relay, out var w) && now - w.LastHeard < RelayDeadAfter;

    // A relay is heard when its received bytes grow (its keepalives arrive) or a handshake with it is new; one seen
    // for the first time gets the benefit of the doubt for one RelayDeadAfter.
    private void WatchRelays(List<string> relays, IReadOnlyDictionary<string, PeerObservation> observed, DateTimeOffset now)
    {
        if (HasRelayNotIn(relays))
        {
            foreach (var id in _relays.Keys.ToList())
            {
                if (!relays.Contains(id))
                {
                    _relays.Remove(id);
                }
            }
        }
        foreach (var id in relays)
        {
            observed.TryGetValue(id, out var o);
            if (!_relays.TryGetValue(id, out var w))
            {
                _relays[id] = new RelayWatch { Rx = o?.RxBytes ?? 0, LastHeard = now };
                continue;
            }
            if (o is null)
            {
                continue;
            }
            if (o.RxBytes != w.Rx || (o.LastHandshake is { } hs && hs > w.LastHeard))
            {
                w.Rx = o.RxBytes;
                w.LastHeard = now;
            }
        }
    }

    private bool HasRelayNotIn(List<string> relays)
    {
        foreach (var id in _relays.Keys)
        {
            if (!relays.Contains(id))
            {
                return true;
            }
        }
        return false;
    }

    private sealed class Entry
    {
        public required string Key { get; set; }

        /// <summary>The peer's candidates, computed from <see cref="_peer"/>, <see cref="_self"/> and <see cref="_noPunch"/>.</summary>
        public required IReadOnlyList<System.Net.IPEndPoint> Candidates { get; set; }

        /// <summary>The last <see cref="PeerPathPlanner.Step"/> that saw this peer in the desired state.</summary>
        public int Step { get; set; }

        private PeerDto? _peer;
        private NodeInterfaceDto? _self;
        private bool _noPunch;

        // The desired state's records are immutable: the same objects give the same candidates.
        public bool IsFor(PeerDto peer, NodeInterfaceDto self, bool noPunch) =>
            ReferenceEquals(peer, _peer) && ReferenceEquals(self, _self) && noPunch == _noPunch;

        public void ComputedFor(PeerDto peer, NodeInterfaceDto self, bool noPunch)
        {
            _peer = peer;
            _self = self;
            _noPunch = noPunch;
        }
        public PeerPathKind Kind { get; set; } = PeerPathKind.Probing;
        public int Index { get; set; }
        public DateTimeOffset Since { get; set; }
        public string? Via { get; set; }

        /// <summary>When the peer first appeared; a restart of the search does not move it.</summary>
        public DateTimeOffset Added { get; init; }

        /// <summary>Whether the pair ever had a fresh handshake (only a pair that never had one holds its keepalive).</summary>
        public bool Handshook { get; set; }

        public void Restart(DateTimeOffset now)
        {
            Kind = PeerPathKind.Probing;
            Index = 0;
            Since = now;
            Via = null;
        }
    }

    private sealed class RelayWatch
    {
        public ulong Rx { get; set; }
        public DateTimeOffset LastHeard { get; set; }
    }
}
