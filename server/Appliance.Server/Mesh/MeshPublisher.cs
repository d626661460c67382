using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Configuration;
using Appliance.Server.Mqtt;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Pushes each node its desired state over the mesh bus (embedded broker or Mosquitto): a signed snapshot the first time (or on request; in a big network the peers go in parts
/// signed once per version and shared by all members, after a small head of the node's own),
/// then signed deltas from the version it was last sent (one network delta per change, signed once, for all members). It is
/// the store's <see cref="IStoreChangeSink"/>: each committed change set is queued, and applied to the network's view
/// record by record (<see cref="NetworkView.TryApply"/>), so a change costs what it changed, not the network's size; a
/// lone change is sent at once, and changes that arrive while a round is being sent are coalesced into the next round.
/// </summary>
public sealed class MeshPublisher : BackgroundService, IStoreChangeSink
{
    private readonly IApplianceStore _store;
    private readonly NetworkViews _views;
    private readonly SigningKeyRing _signingKeys;
    private readonly ServerIdentity _identity;
    private readonly IMeshBus _bus;
    private readonly TimeProvider _clock;
    private readonly ILogger<MeshPublisher> _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    // Nodes following updates: those that asked for a snapshot since this server started (an agent asks on every
    // connect). Only they can apply a delta, so only they are sent one; registering many nodes costs no messages.
    private readonly HashSet<string> _followers = new(StringComparer.Ordinal);
    private IDisposable? _resyncSubscription;
    // The key updates are sealed with: changed only by the publishing loop, right after it sends a rotation's
    // announcement, so every node gets the announcement before anything the new key signs.
    private byte[]? _sealKey;
    private long _updates, _snapshots, _bytes, _rounds, _queued, _done, _refused, _deltasAsSnapshots, _computeTicks;

    private readonly Metrics.ServerMetrics? _metrics;

    public MeshPublisher(IApplianceStore store, SigningKeyRing signingKeys, ServerIdentity identity, ServerOptions options, IMeshBus bus, TimeProvider clock, ILogger<MeshPublisher> logger,
        Metrics.ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        (_store, _signingKeys, _identity) = (store, signingKeys, identity);
        _views = new NetworkViews(store, options.DnsSuffix);
        _bus = bus;
        _clock = clock;
        _logger = logger;
    }

    private readonly record struct Work(IReadOnlyList<NetworkChangeSet>? Changes, string? ResyncNode, SigningKeyRotation? Rotation = null, long CommittedAt = 0);

    /// <summary>A new signing key and its announcement, sealed by the key it replaces.</summary>
    public sealed record SigningKeyRotation(byte[] Announcement, byte[] PrivateKey);

    public long UpdatesPublished => Interlocked.Read(ref _updates);
    public long SnapshotsPublished => Interlocked.Read(ref _snapshots);
    public long BytesPublished => Interlocked.Read(ref _bytes);
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Snapshots not sent because a message of them would be over <see cref="MaxUpdateBytes"/> (each logged as an error).</summary>
    public long UpdatesRefused => Interlocked.Read(ref _refused);

    /// <summary>Members sent a snapshot instead of a delta that was over <see cref="MaxUpdateBytes"/>.</summary>
    public long DeltasSentAsSnapshots => Interlocked.Read(ref _deltasAsSnapshots);

    /// <summary>
    /// The largest signed update sent: the device MQTT client's packet limit (<see cref="MqttClientOptions.DefaultMaxPacketSize"/>,
    /// which agents run with) less room for the PUBLISH header, topic and properties. A bigger delta goes as a snapshot
    /// in parts; a part still bigger is refused and logged, since the member's client would refuse it and the broker
    /// would keep offering it.
    /// </summary>
    public const int DefaultMaxUpdateBytes = MqttClientOptions.DefaultMaxPacketSize - 1024;

    /// <summary><see cref="DefaultMaxUpdateBytes"/>; tests lower it to reach the limit with small networks.</summary>
    internal int MaxUpdateBytes { get; set; } = DefaultMaxUpdateBytes;

    /// <summary>Peers per shared snapshot part (<see cref="NetworkView.PeersPerSnapshotPart"/>); tests lower it with <see cref="MaxUpdateBytes"/>.</summary>
    internal int PeersPerSnapshotPart { get; set; } = NetworkView.PeersPerSnapshotPart;

    /// <summary>
    /// Time spent computing what to send for changes (applying change sets to views and making the peer changes),
    /// without serializing, signing or publishing: the part of a change that must not grow with the network.
    /// </summary>
    public TimeSpan ComputeTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _computeTicks)) + _views.ComputeTime;

    /// <summary>Networks read again whole from the store for a change (their settings changed, or a change set could not be applied by itself).</summary>
    public long Reloads => _views.Reloads;

    /// <summary>True when every change reported so far has been published (for tests and diagnostics).</summary>
    public bool IsIdle => Interlocked.Read(ref _done) == Interlocked.Read(ref _queued);

    /// <summary>A write committed: the members of each network it changed get updates. Queues and returns.</summary>
    public void Committed(IReadOnlyList<NetworkChangeSet> changes)
    {
        if (changes.Count > 0)
        {
            Enqueue(new Work(changes, null, CommittedAt: _clock.GetTimestamp()));
        }
    }

    /// <summary>A node asks for a full snapshot (it missed updates or restarted).</summary>
    public void ResyncRequested(string nodeId) => Enqueue(new Work(null, nodeId));

    /// <summary>The signing key was rotated: every node gets the announcement, then updates signed by the new key.</summary>
    public void SigningKeyRotated(SigningKeyRotation rotation) => Enqueue(new Work(null, null, rotation));

    private void Enqueue(Work work)
    {
        Interlocked.Increment(ref _queued);
        if (!_work.Writer.TryWrite(work))
        {
            Interlocked.Increment(ref _done);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_bus.Enabled)
        {
            return;
        }
        _resyncSubscription = _bus.Subscribe(MeshTopics.ResyncFilter, m =>
        {
            if (MeshTopics.NodeOfReport(m.Topic) is { } node)
            {
                ResyncRequested(node);
            }
        });
        var networks = new Dictionary<string, List<NetworkChangeSet>>(StringComparer.Ordinal);
        var resyncs = new HashSet<string>(StringComparer.Ordinal);
        var rotations = new List<SigningKeyRotation>();
        var committed = new List<long>();
        try
        {
            while (await _work.Reader.WaitToReadAsync(stoppingToken))
            {
                networks.Clear();
                resyncs.Clear();
                rotations.Clear();
                committed.Clear();
                var taken = 0;
                while (_work.Reader.TryRead(out var w))
                {
                    taken++;
                    if (w.Changes is not null)
                    {
                        committed.Add(w.CommittedAt);
                    }
                    foreach (var set in w.Changes ?? [])
                    {
                        if (!networks.TryGetValue(set.Network, out var sets))
                        {
                            networks[set.Network] = sets = [];
                        }
                        sets.Add(set);
                    }
                    if (w.ResyncNode is not null)
                    {
                        resyncs.Add(w.ResyncNode);
                    }
                    if (w.Rotation is not null)
                    {
                        rotations.Add(w.Rotation);
                    }
                }
                try
                {
                    foreach (var rotation in rotations)
                    {
                        await AnnounceSigningKeyAsync(rotation, stoppingToken);
                    }
                    await PublishRoundAsync(networks, resyncs, stoppingToken);
                    // Commit to handed to the broker, per write (coalesced writes each count their own wait).
                    foreach (var at in committed)
                    {
                        _metrics?.Propagation.Observe(_clock.GetElapsedTime(at));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "publishing mesh updates failed; nodes will catch up on the next change or resync");
                }
                finally
                {
                    Interlocked.Add(ref _done, taken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishRoundAsync(Dictionary<string, List<NetworkChangeSet>> networks, HashSet<string> resyncs, CancellationToken ct)
    {
        Interlocked.Increment(ref _rounds);
        var now = _clock.GetUtcNow();
        foreach (var (network, sets) in networks)
        {
            if (_followers.Count == 0)
            {
                // Nobody to tell (nodes registering before any agent connected): drop the view; the first snapshot
                // request loads a fresh one.
                _views.Forget(network);
                continue;
            }
            if (await _views.ApplyAsync(network, sets, ct) is { } applied && applied.Step.FromVersion != applied.View.Version)
            {
                await PublishStepAsync(applied.View, applied.Step, now, ct);
            }
        }
        foreach (var nodeId in resyncs)
        {
            var node = await _store.ReadAsync(s => s.FindNode(nodeId), ct);
            if (node is null)
            {
                continue;
            }
            if (await _views.ForMemberAsync(node.Network, nodeId, ct) is not { } found)
            {
                continue;
            }
            var (view, catchUp) = found;
            if (catchUp is not null)
            {
                // Newer than what the others were told: bring them along first, so every node stays on one version line.
                await PublishStepAsync(view, catchUp, now, ct);
            }
            if (await PublishSnapshotAsync(view, nodeId, now, ct))
            {
                _followers.Add(nodeId);
            }
        }
    }

    // A member's snapshot in one message, or as its head plus the shared parts when the peers are too many (or one
    // message would be over what the member can take). A message that still does not fit is refused, not sent.
    private async Task<bool> PublishSnapshotAsync(NetworkView view, string nodeId, DateTimeOffset now, CancellationToken ct)
    {
        if (!view.SnapshotInParts(nodeId, PeersPerSnapshotPart))
        {
            var whole = Seal(view.Snapshot(nodeId, now));
            if (whole.Length <= MaxUpdateBytes)
            {
                await PublishWireAsync(nodeId, whole, ct);
                Interlocked.Increment(ref _snapshots);
                return true;
            }
        }
        var (parts, digests) = view.SealedSharedParts(nodeId, Seal, now, PeersPerSnapshotPart);
        var head = Seal(view.SnapshotHead(nodeId, digests, now));
        var largest = Math.Max(head.Length, parts.Length == 0 ? 0 : parts.Max(p => p.Length));
        if (largest > MaxUpdateBytes)
        {
            Interlocked.Increment(ref _refused);
            _logger.LogError(
                "not sending node {Node} its snapshot of network {Network} v{Version}: a message of it is {Bytes} bytes, over the {Max} a member's MQTT client takes; the network's settings (DNS names, gateway ranges) must shrink",
                nodeId, view.Network, view.Version, largest, MaxUpdateBytes);
            return false;
        }
        await PublishWireAsync(nodeId, head, ct);
        foreach (var part in parts)
        {
            await PublishWireAsync(nodeId, part, ct);
        }
        Interlocked.Increment(ref _snapshots);
        return true;
    }

    // One step for the whole network, sent as one network delta: serialized and signed once, the same bytes to every
    // member that follows. Only members whose own record changed get a delta of their own (excluded from the shared one).
    // A member new to the view has nothing to apply a delta to: it gets a snapshot when it asks. Computing the step is
    // O(changed); sending it is one publish per member, O(N) by nature.
    private async Task PublishStepAsync(NetworkView after, NetworkViewStep step, DateTimeOffset now, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var peers = step.PeerChanges(after);
        var own = step.OwnChanged(after).Where(_followers.Contains).ToList();
        var ownSet = new HashSet<string>(own, StringComparer.Ordinal);
        // Under an access policy each member sees only its allowed peers: a member whose share of the change is not
        // the network's (or whose filter changed) gets a delta of its own; the others still share the network delta.
        var memberPeers = step.OnTheirOwn(after, after.Members.Keys.Where(_followers.Contains), peers, ownSet);
        if (memberPeers is not null)
        {
            own = [.. ownSet.Order(StringComparer.Ordinal)];
        }
        Interlocked.Add(ref _computeTicks, Stopwatch.GetTimestamp() - started);
        var tooBigLogged = false;
        byte[]? shared = null;
        foreach (var nodeId in after.Members.Keys)
        {
            if (!_followers.Contains(nodeId) || !step.WasMember(nodeId, after))
            {
                continue;
            }
            byte[] wire;
            if (ownSet.Contains(nodeId))
            {
                wire = Seal(after.MemberDelta(nodeId, step, memberPeers?.GetValueOrDefault(nodeId) ?? peers, now));
            }
            else
            {
                wire = shared ??= Seal(after.NetworkDelta(step, peers, own, now));
            }
            if (wire.Length > MaxUpdateBytes)
            {
                // A delta the member's client cannot take would be refused by it (and kept for it by the broker):
                // the member gets the new version as a snapshot, which goes in parts that fit.
                if (!tooBigLogged)
                {
                    tooBigLogged = true;
                    _logger.LogWarning("the delta v{From}->v{To} of network {Network} is {Bytes} bytes, over the {Max} a member's MQTT client takes; sending snapshots instead",
                        step.FromVersion, after.Version, after.Network, wire.Length, MaxUpdateBytes);
                }
                Interlocked.Increment(ref _deltasAsSnapshots);
                await PublishSnapshotAsync(after, nodeId, now, ct);
                continue;
            }
            await PublishWireAsync(nodeId, wire, ct);
        }
        foreach (var gone in peers.Removes)
        {
            _followers.Remove(gone);
        }
    }

    // Every update names the server it comes from (with the network's epoch, its lineage).
    private byte[] Seal(MeshUpdate update) =>
        SignedEnvelope.Seal(_sealKey ??= _signingKeys.PrivateKey, JsonSerializer.SerializeToUtf8Bytes(update with { ServerId = _identity.Id }, ApplianceJsonContext.Default.MeshUpdate));

    // Every node of the store gets the announcement (a node offline now finds it queued in its persistent session, or
    // fetches the chain over HTTPS); the shared snapshot parts sealed with the old key are sealed again when next asked for.
    private async Task AnnounceSigningKeyAsync(SigningKeyRotation rotation, CancellationToken ct)
    {
        _sealKey = rotation.PrivateKey;
        foreach (var view in _views.All)
        {
            view.ForgetSealedParts();
        }
        var nodes = await _store.ReadAsync(s => s.ListNodes(null).Select(n => n.Id).ToList(), ct);
        foreach (var nodeId in nodes)
        {
            await PublishWireAsync(nodeId, rotation.Announcement, ct);
        }
        _logger.LogInformation("announced the new signing key to {Nodes} nodes", nodes.Count);
    }

    private async Task PublishWireAsync(string nodeId, byte[] wire, CancellationToken ct)
    {
        await _bus.PublishAsync(MeshTopics.Updates(nodeId), wire, MqttQos.AtLeastOnce, cancellationToken: ct);
        Interlocked.Increment(ref _updates);
        Interlocked.Add(ref _bytes, wire.Length);
    }

    public override void Dispose()
    {
        _resyncSubscription?.Dispose();
        base.Dispose();
    }
}
