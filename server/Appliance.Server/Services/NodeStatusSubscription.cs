using System.Threading.Channels;

namespace Appliance.Server.Services;

/// <summary>One page's following of a network: read <see cref="Events"/>; dispose to stop.</summary>
public sealed class NodeStatusSubscription(ChannelReader<NodeStatusEvent> events, Action unsubscribe) : IDisposable
{
    private int _disposed;

    public ChannelReader<NodeStatusEvent> Events { get; } = events;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            unsubscribe();
        }
    }
}
