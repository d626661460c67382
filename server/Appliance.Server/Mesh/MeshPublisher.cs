using System.Text.Json;
using System.Threading.Channels;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Packets;
using Appliance.Server.Hosting;
using Appliance.Server.Mqtt;
using Appliance.Server.Services;

namespace Appliance.Server.Mesh;

/// <summary>
/// Pushes each node its desired state over the embedded broker: a signed snapshot the first time (or on request),
/// then signed deltas from the version it was last sent. Changes are queued per network; a lone change is sent
/// at once, and changes that arrive while a round is being sent are coalesced into the next round.
/// </summary>
public sealed class MeshPublisher : BackgroundService
{
    private readonly ServerContext _context;
    private readonly BrokerHost _broker;
    private readonly TimeProvider _clock;
    private readonly ILogger<MeshPublisher> _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    // The last config each node was sent: deltas are computed from it. Touched only by the publishing loop.
    private readonly Dictionary<string, NodeConfigDto> _sent = new(StringComparer.Ordinal);
    private IDisposable? _resyncSubscription;
    private long _updates, _snapshots, _bytes, _rounds, _queued, _done;

    public MeshPublisher(ServerContext context, BrokerHost broker, TimeProvider clock, ILogger<MeshPublisher> logger)
    {
        _context = context;
        _broker = broker;
        _clock = clock;
        _logger = logger;
    }

    private readonly record struct Work(string? Network, string? ResyncNode);

    public long UpdatesPublished => Interlocked.Read(ref _updates);
    public long SnapshotsPublished => Interlocked.Read(ref _snapshots);
    public long BytesPublished => Interlocked.Read(ref _bytes);
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>True when every change reported so far has been published (for tests and diagnostics).</summary>
    public bool IsIdle => Interlocked.Read(ref _done) == Interlocked.Read(ref _queued);

    /// <summary>Something in this network changed: its members get updates.</summary>
    public void NetworkChanged(string network) => Enqueue(new Work(network, null));

    /// <summary>A node asks for a full snapshot (it missed updates or restarted).</summary>
    public void ResyncRequested(string nodeId) => Enqueue(new Work(null, nodeId));

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
        if (!_broker.Enabled)
        {
            return;
        }
        _resyncSubscription = _broker.Broker.Subscribe(MeshTopics.ResyncFilter, m =>
        {
            if (MeshTopics.NodeOfReport(m.Topic) is { } node)
            {
                ResyncRequested(node);
            }
        });
        var networks = new HashSet<string>(StringComparer.Ordinal);
        var resyncs = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (await _work.Reader.WaitToReadAsync(stoppingToken))
            {
                networks.Clear();
                resyncs.Clear();
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
                }
                try
                {
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
        foreach (var nodeId in resyncs)
        {
            var node = await _context.Store.ReadAsync(s => s.FindNode(nodeId), ct);
            if (node is not null)
            {
                _sent.Remove(nodeId); // the next send for it is a snapshot
                networks.Add(node.Network);
            }
        }
        var now = _clock.GetUtcNow();
        foreach (var network in networks)
        {
            var configs = await _context.Store.ReadAsync(s =>
            {
                var net = s.FindNetwork(network);
                if (net is null)
                {
                    return [];
                }
                var members = s.ListNodes(network);
                return members.Select(n => NodeConfigBuilder.Build(n, net, members)).ToList();
            }, ct);
            foreach (var config in configs)
            {
                MeshUpdate update;
                if (_sent.TryGetValue(config.NodeId, out var last))
                {
                    if (last.Version == config.Version && MeshDelta.SameConfig(last, config))
                    {
                        continue;
                    }
                    update = MeshDelta.Compute(last, config, now);
                    if (MeshDelta.IsEmpty(update))
                    {
                        // Only the network version moved (another member's change that does not touch this node).
                        _sent[config.NodeId] = config;
                        continue;
                    }
                }
                else
                {
                    update = MeshDelta.Snapshot(config, now);
                    Interlocked.Increment(ref _snapshots);
                }
                Publish(update);
                _sent[config.NodeId] = config;
            }
            // Nodes deleted from the network: forget them.
            var present = configs.Select(c => c.NodeId).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _sent.Where(kv => kv.Value.Interface.Network == network && !present.Contains(kv.Key)).Select(kv => kv.Key).ToList())
            {
                _sent.Remove(gone);
            }
        }
    }

    private void Publish(MeshUpdate update)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(update, ApplianceJsonContext.Default.MeshUpdate);
        var wire = SignedEnvelope.Seal(_context.SigningKey, json);
        _broker.Broker.Publish(MeshTopics.Updates(update.NodeId), wire, MqttQos.AtLeastOnce);
        Interlocked.Increment(ref _updates);
        Interlocked.Add(ref _bytes, wire.Length);
    }

    public override void Dispose()
    {
        _resyncSubscription?.Dispose();
        base.Dispose();
    }
}
