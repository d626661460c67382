namespace Appliance.Broker;

/// <summary>Token bucket for new connections: <c>perSecond</c> tokens per second with a burst of the same size.</summary>
internal sealed class MqttConnectionRateLimiter
{
    private readonly double _perSecond;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastMs;

    public MqttConnectionRateLimiter(int perSecond, long nowMs)
    {
        _perSecond = perSecond;
        _tokens = perSecond;
        _lastMs = nowMs;
    }

    public bool TryAcquire(long nowMs)
    {
        lock (_lock)
        {
            Refill(nowMs);
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }

    /// <summary>True when the bucket has refilled to its burst: it remembers nothing and may be forgotten.</summary>
    public bool IsFull(long nowMs)
    {
        lock (_lock)
        {
            Refill(nowMs);
            return _tokens >= _perSecond;
        }
    }

    private void Refill(long nowMs)
    {
        _tokens = Math.Min(_perSecond, _tokens + (Math.Max(0, nowMs - _lastMs) * _perSecond / 1000.0));
        _lastMs = nowMs;
    }
}
