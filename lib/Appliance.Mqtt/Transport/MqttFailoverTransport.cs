namespace Appliance.Mqtt.Transport;

/// <summary>
/// The brokers of one cluster, each behind its own transport. A connect goes to the broker after the one the last
/// connect used (the client connects again only when its connection or handshake failed, so that broker is the
/// likeliest to be down) and moves on through the list while brokers cannot be reached; it fails only when none can.
/// With one broker it is that broker's transport.
/// </summary>
public sealed class MqttFailoverTransport : IMqttTransport
{
    private readonly IReadOnlyList<IMqttTransport> _brokers;
    private int _next;

    public MqttFailoverTransport(IReadOnlyList<IMqttTransport> brokers)
    {
        ArgumentOutOfRangeException.ThrowIfZero(brokers.Count, nameof(brokers));
        _brokers = brokers;
    }

    /// <summary>The index of the broker the last successful connect reached (-1 before the first).</summary>
    public int Current { get; private set; } = -1;

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var start = _next;
        List<Exception>? failures = null;
        for (var i = 0; i < _brokers.Count; i++)
        {
            var index = (start + i) % _brokers.Count;
            _next = (index + 1) % _brokers.Count;
            try
            {
                var stream = await _brokers[index].ConnectAsync(cancellationToken).ConfigureAwait(false);
                Current = index;
                return stream;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                (failures ??= []).Add(e);
            }
        }
        throw failures!.Count == 1 ? failures[0] : new AggregateException("no broker of the cluster could be reached", failures);
    }
}
