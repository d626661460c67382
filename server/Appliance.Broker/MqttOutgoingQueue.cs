using System.Threading.Tasks.Sources;

namespace Appliance.Broker;

/// <summary>
/// One connection's frames waiting to be written: any thread adds, the connection's write loop is the one reader.
/// Lighter than an unbounded channel, whose queue keeps a 32-slot segment per connection even when idle (about
/// 2 KB with its wait objects; 10 MB at 5000 connections): an idle connection here holds no array, and the queue
/// array a burst grew is dropped once it drains.
/// </summary>
internal sealed class MqttOutgoingQueue : IValueTaskSource<bool>
{
    // Above this many slots, a drained queue gives its array back instead of keeping it for the next burst.
    private const int KeptCapacity = 8;

    private readonly Lock _gate = new();
    private Queue<MqttOutgoingFrame>? _frames;
    private bool _completed;
    private bool _readerWaiting;
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };

    /// <summary>True while the queue holds an array (for tests: an idle connection should hold none after a burst).</summary>
    internal bool HoldsArray
    {
        get
        {
            lock (_gate)
            {
                return _frames is not null;
            }
        }
    }

    /// <summary>Adds a frame; false once the queue is completed.</summary>
    public bool TryWrite(MqttOutgoingFrame frame)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }
            (_frames ??= new Queue<MqttOutgoingFrame>()).Enqueue(frame);
            if (!_readerWaiting)
            {
                return true;
            }
            _readerWaiting = false;
        }
        _signal.SetResult(true);
        return true;
    }

    /// <summary>No more frames: the reader takes what is queued, then <see cref="WaitToReadAsync"/> returns false.</summary>
    public void Complete() => Finish(dropQueued: false);

    /// <summary>Completes the queue and forgets what is queued (the connection is closing at once).</summary>
    public void Cancel() => Finish(dropQueued: true);

    /// <summary>True when a frame can be read; false when the queue is completed and empty. One caller at a time.</summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_gate)
        {
            if (_frames is { Count: > 0 })
            {
                return new ValueTask<bool>(true);
            }
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }
            _signal.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(this, _signal.Version);
        }
    }

    public bool TryRead(out MqttOutgoingFrame frame)
    {
        lock (_gate)
        {
            if (_frames is { } frames && frames.TryDequeue(out frame))
            {
                if (frames.Count == 0 && frames.Capacity > KeptCapacity)
                {
                    _frames = null;
                }
                return true;
            }
        }
        frame = default;
        return false;
    }

    private void Finish(bool dropQueued)
    {
        lock (_gate)
        {
            if (dropQueued)
            {
                _frames = null;
            }
            if (_completed)
            {
                return;
            }
            _completed = true;
            if (!_readerWaiting)
            {
                return;
            }
            _readerWaiting = false;
        }
        _signal.SetResult(false);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);
}
