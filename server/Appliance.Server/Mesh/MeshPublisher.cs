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
    // Followers that read only their own topic (older agents, whose resync request says nothing of the shared one):
    // they are sent the network delta on their node topic, as before the shared topic existed.
    private readonly HashSet<string> _ownTopicOnly = new(StringComparer.Ordinal);
    // Per network, the followers that read its shared topic: with none, nothing is published there.
    private readonly Dictionary<string, HashSet<string>> _sharedReaders = new(StringComparer.Ordinal);
    private readonly bool _perNodeOnly;
    // Replicas (PostgreSQL): changes come from the change feed, and only the replica holding the publisher lock sends
    // anything. The others stand by: they note who follows (every replica hears the resync requests), so the one that
    // takes over knows whom to tell.
    private volatile bool _followsFeed;
    private volatile bool _standby;
    private readonly Dictionary<string, string> _followerNetwork = new(StringComparer.Ordinal);
    private IDisposable? _resyncSubscription;
    // The key updates are sealed with: changed only by the publishing loop, right after it sends a rotation's
    // announcement, so every node gets the announcement before anything the new key signs.
    private byte[]? _sealKey;
    private long _updates, _snapshots, _bytes, _rounds, _queued, _done, _refused, _deltasAsSnapshots, _computeTicks, _sharedUpdates, _snapshotsSkipped;

    private readonly Metrics.ServerMetrics? _metrics;
    // Where a change's cost goes: the computation, the sealing and the hand-off to the bus (GET /metrics).
    private readonly Metrics.ChangeStageCounters _stages;

    public MeshPublisher(IApplianceStore store, SigningKeyRing signingKeys, ServerIdentity identity, ServerOptions options, IMeshBus bus, TimeProvider clock, ILogger<MeshPublisher> logger,
        Metrics.ServerMetrics? metrics = null, Metrics.ChangeStageCounters? stages = null)
    {
        _metrics = metrics;
        _stages = stages ?? new Metrics.ChangeStageCounters();
        (_store, _signingKeys, _identity) = (store, signingKeys, identity);
        _views = new NetworkViews(store, options.DnsSuffix);
        _perNodeOnly = options.PerNodeUpdates;
        _bus = bus;
        _clock = clock;
        _logger = logger;
    }

    private readonly record struct Work(IReadOnlyList<NetworkChangeSet>? Changes, string? ResyncNode, SigningKeyRotation? Rotation = null, long CommittedAt = 0,
        MeshResyncRequest? Resync = null, FeedCommand? Feed = null);

    // From the replicas' change feed (ChangeFeedPublishing): take publishing over (with what members were told), stand
    // down, or a round of the feed's rows, each completed with the versions its networks' members were told.
    private sealed record FeedCommand(IReadOnlyDictionary<string, long>? TakeOver, bool StandDown,
        TaskCompletionSource<IReadOnlyDictionary<string, long>> Done, IReadOnlyList<SigningKeyRotation>? Rotations = null);

    /// <summary>A new signing key and its announcement, sealed by the key it replaces.</summary>
    public sealed record SigningKeyRotation(byte[] Announcement, byte[] PrivateKey);

    public long UpdatesPublished => Interlocked.Read(ref _updates);
    public long SnapshotsPublished => Interlocked.Read(ref _snapshots);
    public long BytesPublished => Interlocked.Read(ref _bytes);
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Network deltas published once on a network's shared topic (each also counts in <see cref="UpdatesPublished"/>).</summary>
    public long SharedUpdatesPublished => Interlocked.Read(ref _sharedUpdates);

    /// <summary>Resync requests answered without a snapshot: the node named the version it holds, and it was the current one.</summary>
    public long SnapshotsSkipped => Interlocked.Read(ref _snapshotsSkipped);

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

    /// <summary>The per-stage counters this publisher adds to (the server's, or its own when none was given).</summary>
    public Metrics.ChangeStageCounters Stages => _stages;

    /// <summary>Networks read again whole from the store for a change (their settings changed, or a change set could not be applied by itself).</summary>
    public long Reloads => _views.Reloads;

    /// <summary>True when every change reported so far has been published (for tests and diagnostics).</summary>
    public bool IsIdle => Interlocked.Read(ref _done) == Interlocked.Read(ref _queued);

    /// <summary>
    /// Changes come from the replicas' change feed (<see cref="ChangeFeedPublishing"/>), not from this server's store
    /// as a sink, and nothing is sent until this replica takes publishing over (<see cref="TakeOverAsync"/>). Set
    /// before the publisher starts.
    /// </summary>
    public void FollowFeed()
    {
        _followsFeed = true;
        _standby = true;
    }

    /// <summary>True when this publisher sends updates: always for one server; for replicas, while it holds the publisher lock.</summary>
    public bool Publishing => !_standby;

    /// <summary>Nodes known to follow updates (a replica standing by knows them from their resync requests), for tests and diagnostics.</summary>
    public int FollowersKnown => Volatile.Read(ref _followersKnown);

    private int _followersKnown;

    /// <summary>
    /// This replica took the publisher lock: members get what they missed. A network whose members were told its
    /// current version (<paramref name="published"/>) just goes on; any other (the last holder died between a commit
    /// and its publishing) sends each of its followers a snapshot of the current version, which an agent applies over
    /// the older version it holds. Completes when that is sent.
    /// </summary>
    public Task TakeOverAsync(IReadOnlyDictionary<string, long> published, CancellationToken ct) =>
        Command(new FeedCommand(published, false, NewDone()), ct);

    /// <summary>This replica lost the publisher lock: it sends nothing more until it takes it again.</summary>
    public Task StandDownAsync(CancellationToken ct) => Command(new FeedCommand(null, true, NewDone()), ct);

    /// <summary>
    /// Publishes a round of the change feed's rows (with the signing-key announcements among them, each to every node
    /// first): completes with the version each network's members were told, once it is handed to the broker.
    /// </summary>
    public Task<IReadOnlyDictionary<string, long>> PublishFeedAsync(IReadOnlyList<NetworkChangeSet> changes, IReadOnlyList<SigningKeyRotation> rotations, CancellationToken ct)
    {
        var command = new FeedCommand(null, false, NewDone(), rotations);
        Enqueue(new Work(changes, null, CommittedAt: _clock.GetTimestamp(), Feed: command));
        return command.Done.Task.WaitAsync(ct);
    }

    private static TaskCompletionSource<IReadOnlyDictionary<string, long>> NewDone() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task Command(FeedCommand command, CancellationToken ct)
    {
        Enqueue(new Work(null, null, Feed: command));
        return command.Done.Task.WaitAsync(ct);
    }

    /// <summary>A write committed: the members of each network it changed get updates. Queues and returns.</summary>
    public void Committed(IReadOnlyList<NetworkChangeSet> changes)
    {
        if (changes.Count > 0)
        {
            Enqueue(new Work(changes, null, CommittedAt: _clock.GetTimestamp()));
        }
    }

    /// <summary>A node asks for a full snapshot (it missed updates or restarted); <paramref name="request"/> is what it said (null: <c>{}</c>).</summary>
    public void ResyncRequested(string nodeId, MeshResyncRequest? request = null) => Enqueue(new Work(null, nodeId, Resync: request ?? Legacy));

    private static readonly MeshResyncRequest Legacy = new();

    /// <summary>
    /// A resync request's payload: an older agent's <c>{}</c> (or anything that is not a request, or longer than
    /// <see cref="MeshResyncRequest.MaxBytes"/>) counts as a request for a snapshot on the node's own topic.
    /// </summary>
    public static MeshResyncRequest ParseResync(ReadOnlySpan<byte> payload)
    {
        if (payload.Length is 0 or > MeshResyncRequest.MaxBytes)
        {
            return Legacy;
        }
        try
        {
            return JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshResyncRequest) ?? Legacy;
        }
        catch (JsonException)
        {
            return Legacy;
        }
    }

    /// <summary>The signing key was rotated: every node gets the announcement, then updates signed by the new key.</summary>
    public void SigningKeyRotated(SigningKeyRotation rotation)
    {
        if (_followsFeed)
        {
            // The rotation is in the change feed: the replica holding the publisher lock announces it.
            return;
        }
        Enqueue(new Work(null, null, rotation));
    }

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
                ResyncRequested(node, ParseResync(m.Payload.Span));
            }
        });
        var networks = new Dictionary<string, List<NetworkChangeSet>>(StringComparer.Ordinal);
        var resyncs = new Dictionary<string, MeshResyncRequest>(StringComparer.Ordinal);
        var rotations = new List<SigningKeyRotation>();
        var committed = new List<long>();
        var controls = new List<FeedCommand>();
        var feedRounds = new List<FeedCommand>();
        try
        {
            while (await _work.Reader.WaitToReadAsync(stoppingToken))
            {
                networks.Clear();
                resyncs.Clear();
                rotations.Clear();
                committed.Clear();
                controls.Clear();
                feedRounds.Clear();
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
                        // The last request of a node counts (it says what the node holds now).
                        resyncs[w.ResyncNode] = w.Resync ?? Legacy;
                    }
                    if (w.Rotation is not null)
                    {
                        rotations.Add(w.Rotation);
                    }
                    if (w.Feed is { } feed)
                    {
                        (w.Changes is null ? controls : feedRounds).Add(feed);
                        rotations.AddRange(feed.Rotations ?? []);
                    }
                }
                try
                {
                    foreach (var control in controls)
                    {
                        await ControlAsync(control, stoppingToken);
                    }
                    foreach (var rotation in rotations)
                    {
                        await AnnounceSigningKeyAsync(rotation, stoppingToken);
                    }
                    await PublishRoundAsync(networks, resyncs, stoppingToken);
                    if (feedRounds.Count > 0)
                    {
                        IReadOnlyDictionary<string, long> told = networks.ToDictionary(
                            n => n.Key, n => _views.TryGet(n.Key, out var view) ? view.Version : n.Value[^1].Version, StringComparer.Ordinal);
                        foreach (var round in feedRounds)
                        {
                            round.Done.TrySetResult(told);
                        }
                    }
                    // Commit to handed to the broker, per write (coalesced writes each count their own wait).
                    foreach (var at in committed)
                    {
                        _metrics?.Propagation.Observe(_clock.GetElapsedTime(at));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "publishing mesh updates failed; nodes will catch up on the next change or resync");
                    foreach (var command in controls.Concat(feedRounds))
                    {
                        command.Done.TrySetException(e);
                    }
                }
                finally
                {
                    foreach (var command in controls.Concat(feedRounds))
                    {
                        command.Done.TrySetCanceled(stoppingToken.IsCancellationRequested ? stoppingToken : CancellationToken.None);
                    }
                    Interlocked.Add(ref _done, taken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // Taking publishing over, or standing down (replicas).
    private async Task ControlAsync(FeedCommand command, CancellationToken ct)
    {
        if (command.StandDown)
        {
            _standby = true;
            foreach (var network in _views.All.Select(v => v.Network).ToList())
            {
                _views.Forget(network);
            }
            command.Done.TrySetResult(command.TakeOver ?? new Dictionary<string, long>());
            return;
        }
        _standby = false;
        // The chain's last key (the ring follows the store), not one this replica sealed with before it stood down.
        _sealKey = null;
        var now = _clock.GetUtcNow();
        var published = command.TakeOver!;
        var snapshots = 0;
        foreach (var group in _followerNetwork.GroupBy(f => f.Value, f => f.Key, StringComparer.Ordinal).ToList())
        {
            var view = await _views.ReloadAsync(group.Key, ct);
            if (view is null || (published.TryGetValue(group.Key, out var told) && told == view.Version))
            {
                continue;
            }
            foreach (var nodeId in group.Where(view.Members.ContainsKey))
            {
                snapshots += await PublishSnapshotAsync(view, nodeId, now, ct) ? 1 : 0;
            }
        }
        _logger.LogInformation("this replica publishes mesh updates now ({Followers} followers known; {Snapshots} sent a snapshot of what they missed)",
            _followerNetwork.Count, snapshots);
        command.Done.TrySetResult(published);
    }

    private async Task PublishRoundAsync(Dictionary<string, List<NetworkChangeSet>> networks, Dictionary<string, MeshResyncRequest> resyncs, CancellationToken ct)
    {
        Interlocked.Increment(ref _rounds);
        var now = _clock.GetUtcNow();
        if (_standby)
        {
            // Another replica publishes: only note who follows, for the day this one takes over.
            foreach (var (nodeId, request) in resyncs)
            {
                if (await _store.ReadAsync(s => s.FindNode(nodeId), ct) is { } member)
                {
                    Follow(member.Network, nodeId, request);
                }
            }
            return;
        }
        foreach (var (network, sets) in networks)
        {
            if (_followers.Count == 0)
            {
                // Nobody to tell (nodes registering before any agent connected): drop the view; the first snapshot
                // request loads a fresh one.
                _views.Forget(network);
                continue;
            }
            var computing = Broker.StageCounter.Start();
            var applied = await _views.ApplyAsync(network, sets, ct);
            _stages.Stop(Metrics.ChangeStage.MeshCompute, computing);
            if (applied is not null && applied.Value.Step.FromVersion != applied.Value.View.Version)
            {
                await PublishStepAsync(applied.Value.View, applied.Value.Step, now, ct);
            }
        }
        foreach (var (nodeId, request) in resyncs)
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
            if (request.Version == view.Version && request.Epoch == view.Epoch && request.ServerId == _identity.Id)
            {
                // The node holds the current version of this lineage (it reconnected): it follows from there, and
                // the 1 MB-per-thousand-members snapshot is not sent again.
                Follow(view.Network, nodeId, request);
                Interlocked.Increment(ref _snapshotsSkipped);
            }
            else if (await PublishSnapshotAsync(view, nodeId, now, ct))
            {
                Follow(view.Network, nodeId, request);
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
                await PublishWireAsync(MeshTopics.Updates(nodeId), whole, ct);
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
        await PublishWireAsync(MeshTopics.Updates(nodeId), head, ct);
        foreach (var part in parts)
        {
            await PublishWireAsync(MeshTopics.Updates(nodeId), part, ct);
        }
        Interlocked.Increment(ref _snapshots);
        return true;
    }

    private void Follow(string network, string nodeId, MeshResyncRequest request)
    {
        _followers.Add(nodeId);
        _followerNetwork[nodeId] = network;
        Volatile.Write(ref _followersKnown, _followerNetwork.Count);
        if (!_sharedReaders.TryGetValue(network, out var readers))
        {
            _sharedReaders[network] = readers = new HashSet<string>(StringComparer.Ordinal);
        }
        if (request.NetworkTopic)
        {
            _ownTopicOnly.Remove(nodeId);
            readers.Add(nodeId);
        }
        else
        {
            _ownTopicOnly.Add(nodeId);
            readers.Remove(nodeId);
        }
    }

    // One step for the whole network, sent as one network delta: serialized and signed once, published once on the
    // network's shared topic (the broker fans it out) and on the node topic of each follower that reads only its own.
    // Members whose share differs (their own records changed, or under a policy their peers or filter) are named in
    // the network delta's Except and get a delta of their own (MeshFanoutPlan). A member new to the view has nothing
    // to apply a delta to: it gets a snapshot when it asks. Computing the step and its plan is O(changed).
    private async Task PublishStepAsync(NetworkView after, NetworkViewStep step, DateTimeOffset now, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var computing = Broker.StageCounter.Start();
        var peers = step.PeerChanges(after);
        var own = new HashSet<string>(step.OwnChanged(after), StringComparer.Ordinal);
        // Under an access policy each member sees only its allowed peers: a member whose share of the change is not
        // the network's (or whose filter changed) gets a delta of its own. Every member counts, follower or not: a
        // member reading the shared topic must find itself in Except whenever the shared delta is not its share.
        var memberPeers = step.OnTheirOwn(after, after.Members.Keys, peers, own);
        var plan = MeshFanoutPlan.Choose(after, step, own, _followers, _ownTopicOnly, _perNodeOnly);
        Interlocked.Add(ref _computeTicks, Stopwatch.GetTimestamp() - started);
        _stages.Stop(Metrics.ChangeStage.MeshCompute, computing);
        var logged = false;
        foreach (var nodeId in plan.OwnDelta)
        {
            var wire = Seal(after.MemberDelta(nodeId, step, memberPeers?.GetValueOrDefault(nodeId) ?? peers, now));
            if (wire.Length > MaxUpdateBytes)
            {
                TooBig(after, step, wire.Length, ref logged);
                await PublishSnapshotAsync(after, nodeId, now, ct);
                continue;
            }
            await PublishWireAsync(MeshTopics.Updates(nodeId), wire, ct);
        }
        if (plan.SendsNetworkDelta)
        {
            var shared = Seal(after.NetworkDelta(step, peers, plan.Except, now));
            if (shared.Length > MaxUpdateBytes)
            {
                // A delta the members' clients cannot take would be refused by them (and kept for them by the broker):
                // every follower it was for gets the new version as a snapshot, which goes in parts that fit.
                TooBig(after, step, shared.Length, ref logged);
                var excluded = new HashSet<string>(plan.Except, StringComparer.Ordinal);
                foreach (var nodeId in after.Members.Keys.Where(id => _followers.Contains(id) && !excluded.Contains(id) && step.WasMember(id, after)).ToList())
                {
                    await PublishSnapshotAsync(after, nodeId, now, ct);
                }
            }
            else
            {
                if (plan.Shared && _sharedReaders.TryGetValue(after.Network, out var readers) && readers.Count > 0)
                {
                    await PublishWireAsync(MeshTopics.NetworkUpdates(after.Network), shared, ct);
                    Interlocked.Increment(ref _sharedUpdates);
                }
                foreach (var nodeId in plan.NetworkDeltaPerNode)
                {
                    await PublishWireAsync(MeshTopics.Updates(nodeId), shared, ct);
                }
            }
        }
        foreach (var gone in peers.Removes)
        {
            _followers.Remove(gone);
            _followerNetwork.Remove(gone);
            Volatile.Write(ref _followersKnown, _followerNetwork.Count);
            _ownTopicOnly.Remove(gone);
            if (_sharedReaders.TryGetValue(after.Network, out var readers))
            {
                readers.Remove(gone);
            }
        }
    }

    // Logged once per step; counted per member.
    private void TooBig(NetworkView after, NetworkViewStep step, int bytes, ref bool logged)
    {
        Interlocked.Increment(ref _deltasAsSnapshots);
        if (logged)
        {
            return;
        }
        logged = true;
        _logger.LogWarning("a delta v{From}->v{To} of network {Network} is {Bytes} bytes, over the {Max} a member's MQTT client takes; sending snapshots instead",
            step.FromVersion, after.Version, after.Network, bytes, MaxUpdateBytes);
    }

    // Every update names the server it comes from (with the network's epoch, its lineage).
    private byte[] Seal(MeshUpdate update)
    {
        var started = Broker.StageCounter.Start();
        var wire = SignedEnvelope.Seal(_sealKey ??= _signingKeys.PrivateKey, JsonSerializer.SerializeToUtf8Bytes(update with { ServerId = _identity.Id }, ApplianceJsonContext.Default.MeshUpdate));
        _stages.Stop(Metrics.ChangeStage.Seal, started);
        return wire;
    }

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
            await PublishWireAsync(MeshTopics.Updates(nodeId), rotation.Announcement, ct);
        }
        _logger.LogInformation("announced the new signing key to {Nodes} nodes", nodes.Count);
    }

    private async Task PublishWireAsync(string topic, byte[] wire, CancellationToken ct)
    {
        var started = Broker.StageCounter.Start();
        await _bus.PublishAsync(topic, wire, MqttQos.AtLeastOnce, cancellationToken: ct);
        _stages.Stop(Metrics.ChangeStage.BrokerHandoff, started);
        Interlocked.Increment(ref _updates);
        Interlocked.Add(ref _bytes, wire.Length);
    }

    public override void Dispose()
    {
        _resyncSubscription?.Dispose();
        base.Dispose();
    }
}
