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
using Appliance.Server.Services;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Pushes each node its desired state over the mesh bus (embedded broker or Mosquitto): a signed snapshot the first time (or on request; in a big network the peers go in parts
/// signed once per version and shared by all members, after a small head of the node's own),
/// then signed deltas from the version it was last sent (one network delta per change, signed once, for all members). Changes are queued per network; a lone change is sent
/// at once, and changes that arrive while a round is being sent are coalesced into the next round.
/// </summary>
public sealed class MeshPublisher : BackgroundService, Store.IStoreChangeSink
{
    private readonly IApplianceStore _store;
    private readonly SigningKeyRing _signingKeys;
    private readonly ServerIdentity _identity;
    private readonly ServerOptions _options;
    private readonly IMeshBus _bus;
    private readonly TimeProvider _clock;
    private readonly ILogger<MeshPublisher> _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    // What each network's members were last told; deltas are computed from it. Touched only by the publishing loop.
    private readonly Dictionary<string, NetworkView> _views = new(StringComparer.Ordinal);
    // Nodes following updates: those that asked for a snapshot since this server started (an agent asks on every
    // connect). Only they can apply a delta, so only they are sent one; registering many nodes costs no messages.
    private readonly HashSet<string> _followers = new(StringComparer.Ordinal);
    private IDisposable? _resyncSubscription;
    // The key updates are sealed with: changed only by the publishing loop, right after it sends a rotation's
    // announcement, so every node gets the announcement before anything the new key signs.
    private byte[]? _sealKey;
    private long _updates, _snapshots, _bytes, _rounds, _queued, _done, _refused, _deltasAsSnapshots;

    public MeshPublisher(IApplianceStore store, SigningKeyRing signingKeys, ServerIdentity identity, ServerOptions options, IMeshBus bus, TimeProvider clock, ILogger<MeshPublisher> logger)
    {
        (_store, _signingKeys, _identity, _options) = (store, signingKeys, identity, options);
        _bus = bus;
        _clock = clock;
        _logger = logger;
    }

    private readonly record struct Work(string? Network, string? ResyncNode, SigningKeyRotation? Rotation = null);

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

    /// <summary>True when every change reported so far has been published (for tests and diagnostics).</summary>
    public bool IsIdle => Interlocked.Read(ref _done) == Interlocked.Read(ref _queued);

    /// <summary>Something in this network changed: its members get updates.</summary>
    public void NetworkChanged(string network) => Enqueue(new Work(network, null));

    /// <summary>What committed writes changed (from the store, in commit order): each network's members get updates.</summary>
    public void Committed(IReadOnlyList<Store.NetworkChangeSet> changes)
    {
        foreach (var change in changes)
        {
            NetworkChanged(change.Network);
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
        var networks = new HashSet<string>(StringComparer.Ordinal);
        var resyncs = new HashSet<string>(StringComparer.Ordinal);
        var rotations = new List<SigningKeyRotation>();
        try
        {
            while (await _work.Reader.WaitToReadAsync(stoppingToken))
            {
                networks.Clear();
                resyncs.Clear();
                rotations.Clear();
                var taken = 0;
                while (_work.Reader.TryRead(out var w))
                {
                    taken++;
                    if (w.Network is not null)
                    {
                        networks.Add(w.Network);
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

    private async Task PublishRoundAsync(HashSet<string> networks, HashSet<string> resyncs, CancellationToken ct)
    {
        Interlocked.Increment(ref _rounds);
        var now = _clock.GetUtcNow();
        foreach (var network in networks)
        {
            if (_followers.Count == 0)
            {
                // Nobody to tell (nodes registering before any agent connected): skip the O(N) view; the first
                // snapshot request loads a fresh one.
                _views.Remove(network);
                continue;
            }
            var after = await LoadViewAsync(network, ct);
            if (after is null)
            {
                _views.Remove(network);
                continue;
            }
            if (_views.TryGetValue(network, out var before) && before.Version != after.Version)
            {
                await PublishStepAsync(before, after, now, ct);
            }
            // With no earlier view (the server just started) nothing is sent: agents ask for a snapshot when they
            // reconnect, and a node that missed versions asks as soon as a delta does not fit.
            _views[network] = after;
        }
        foreach (var nodeId in resyncs)
        {
            var node = await _store.ReadAsync(s => s.FindNode(nodeId), ct);
            if (node is null)
            {
                continue;
            }
            if (!_views.TryGetValue(node.Network, out var view) || !view.Members.ContainsKey(nodeId))
            {
                view = await LoadViewAsync(node.Network, ct);
                if (view is null || !view.Members.ContainsKey(nodeId))
                {
                    continue;
                }
                if (_views.TryGetValue(node.Network, out var published) && published.Version != view.Version)
                {
                    // Newer than what the others were told: bring them along first, so every node stays on one version line.
                    await PublishStepAsync(published, view, now, ct);
                }
                _views[node.Network] = view;
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
        if (!view.SnapshotInParts(PeersPerSnapshotPart))
        {
            var whole = Seal(view.Snapshot(nodeId, now));
            if (whole.Length <= MaxUpdateBytes)
            {
                await PublishWireAsync(nodeId, whole, ct);
                Interlocked.Increment(ref _snapshots);
                return true;
            }
        }
        var (parts, digests) = view.SealedSharedParts(Seal, now, PeersPerSnapshotPart);
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

    // One diff for the whole network, sent as one network delta: serialized and signed once, the same bytes to every
    // member that follows. Only members whose own record changed get a delta of their own (excluded from the shared one).
    // A member new to the view has nothing to apply a delta to: it gets a snapshot when it asks.
    private async Task PublishStepAsync(NetworkView before, NetworkView after, DateTimeOffset now, CancellationToken ct)
    {
        var (changed, removed) = NetworkView.Diff(before, after);
        var recipients = after.Members.Keys.Where(m => before.Members.ContainsKey(m) && _followers.Contains(m)).ToList();
        var own = recipients.Where(m => after.OwnChanged(m, before)).ToList();
        var tooBigLogged = false;
        byte[]? shared = null;
        foreach (var nodeId in recipients)
        {
            byte[] wire;
            if (own.Count > 0 && own.Contains(nodeId, StringComparer.Ordinal))
            {
                wire = Seal(after.DeltaFor(nodeId, before, changed, removed, now));
            }
            else
            {
                wire = shared ??= Seal(after.NetworkDelta(before, changed, removed, own, now));
            }
            if (wire.Length > MaxUpdateBytes)
            {
                // A delta the member's client cannot take would be refused by it (and kept for it by the broker):
                // the member gets the new version as a snapshot, which goes in parts that fit.
                if (!tooBigLogged)
                {
                    tooBigLogged = true;
                    _logger.LogWarning("the delta v{From}->v{To} of network {Network} is {Bytes} bytes, over the {Max} a member's MQTT client takes; sending snapshots instead",
                        before.Version, after.Version, after.Network, wire.Length, MaxUpdateBytes);
                }
                Interlocked.Increment(ref _deltasAsSnapshots);
                await PublishSnapshotAsync(after, nodeId, now, ct);
                continue;
            }
            await PublishWireAsync(nodeId, wire, ct);
        }
        foreach (var gone in removed)
        {
            _followers.Remove(gone);
        }
    }

    // Built on the view last sent, whose unchanged records it shares.
    private Task<NetworkView?> LoadViewAsync(string network, CancellationToken ct)
    {
        var previous = _views.GetValueOrDefault(network);
        return _store.ReadAsync(s =>
        {
            var net = s.FindNetwork(network);
            return net is null ? null : NetworkView.Build(NetworkState.Load(s, net, _options.DnsSuffix), previous);
        }, ct);
    }

    // Every update names the server it comes from (with the network's epoch, its lineage).
    private byte[] Seal(MeshUpdate update) =>
        SignedEnvelope.Seal(_sealKey ??= _signingKeys.PrivateKey, JsonSerializer.SerializeToUtf8Bytes(update with { ServerId = _identity.Id }, ApplianceJsonContext.Default.MeshUpdate));

    // Every node of the store gets the announcement (a node offline now finds it queued in its persistent session, or
    // fetches the chain over HTTPS); the shared snapshot parts sealed with the old key are sealed again when next asked for.
    private async Task AnnounceSigningKeyAsync(SigningKeyRotation rotation, CancellationToken ct)
    {
        _sealKey = rotation.PrivateKey;
        foreach (var view in _views.Values)
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
