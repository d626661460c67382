using System.Threading.Channels;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// What the web console's open pages follow: a node was seen (its status report or a call home) and a network's
/// records changed (every committed write, from the store). Each subscriber has a small bounded queue; when a slow
/// page lets it fill, the oldest events go and the page is told to reload its list (<see cref="NodeStatusEvent.Resync"/>).
/// At most <see cref="MaxSubscribers"/> pages follow at once.
/// </summary>
public sealed class NodeStatusFeed : IStoreChangeSink
{
    public const int MaxSubscribers = 64;
    private const int QueueLength = 256;

    private readonly List<Subscriber> _subscribers = [];
    private readonly Lock _lock = new();

    /// <summary>Follows one network's events; null when <see cref="MaxSubscribers"/> pages already follow.</summary>
    public NodeStatusSubscription? Subscribe(string network)
    {
        var channel = Channel.CreateBounded<NodeStatusEvent>(new BoundedChannelOptions(QueueLength)
        {
            // Wait mode, never waited on: TryWrite answers false when full (the drop modes answer true and drop silently).
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true,
        });
        var subscriber = new Subscriber(network, channel);
        lock (_lock)
        {
            if (_subscribers.Count >= MaxSubscribers)
            {
                return null;
            }
            _subscribers.Add(subscriber);
        }
        return new NodeStatusSubscription(channel.Reader, () =>
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
        });
    }

    /// <summary>A node of <paramref name="network"/> called in or reported.</summary>
    public void NodeSeen(string network, string nodeId) => Publish(network, new NodeStatusEvent(NodeStatusEventKind.NodeSeen, network, nodeId));

    public void Committed(IReadOnlyList<NetworkChangeSet> changes)
    {
        foreach (var set in changes)
        {
            if (set.NetworkRemoved)
            {
                Publish(set.Network, new NodeStatusEvent(NodeStatusEventKind.Resync, set.Network, null));
                continue;
            }
            foreach (var (id, node) in set.Nodes)
            {
                Publish(set.Network, new NodeStatusEvent(node is null ? NodeStatusEventKind.NodeRemoved : NodeStatusEventKind.NodeChanged, set.Network, id));
            }
            // Roles and ext clients change what the page shows of their gateway; settings, the whole list.
            foreach (var id in set.Ingress.Keys.Concat(set.Egress.Keys).Distinct(StringComparer.Ordinal).Where(id => !set.Nodes.ContainsKey(id)))
            {
                Publish(set.Network, new NodeStatusEvent(NodeStatusEventKind.NodeChanged, set.Network, id));
            }
        }
    }

    private void Publish(string network, NodeStatusEvent e)
    {
        lock (_lock)
        {
            foreach (var s in _subscribers)
            {
                if (s.Network == network && !s.Channel.Writer.TryWrite(e))
                {
                    // Full: this page missed events; it reloads the list once it has read what is queued.
                    s.Overflowed = true;
                }
                else if (s.Network == network && s.Overflowed && s.Channel.Writer.TryWrite(new NodeStatusEvent(NodeStatusEventKind.Resync, network, null)))
                {
                    s.Overflowed = false;
                }
            }
        }
    }

    private sealed class Subscriber(string network, Channel<NodeStatusEvent> channel)
    {
        public string Network { get; } = network;
        public Channel<NodeStatusEvent> Channel { get; } = channel;
        public bool Overflowed { get; set; }
    }
}
