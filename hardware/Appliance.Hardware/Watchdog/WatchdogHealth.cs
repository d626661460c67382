namespace Appliance.Hardware.Watchdog;

/// <summary>
/// The feeding decision (pure apart from its clock): the watchdog is fed only while every registered loop has
/// checked in within its own deadline. A loop that hangs (an apply stuck in the kernel, a dead MQTT loop) stops the
/// feeding, and the watchdog then restarts the agent (systemd) or resets the box (<c>/dev/watchdog</c>).
/// </summary>
public sealed class WatchdogHealth(TimeProvider clock)
{
    private readonly TimeProvider _clock = clock;
    private readonly Lock _lock = new();
    private readonly List<Loop> _loops = [];

    /// <summary>A loop that must check in at least every <paramref name="deadline"/>; it counts as fresh now.</summary>
    public Loop Register(string name, TimeSpan deadline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deadline, TimeSpan.Zero);
        var loop = new Loop(this, name, deadline, _clock.GetTimestamp());
        lock (_lock)
        {
            _loops.Add(loop);
        }
        return loop;
    }

    /// <summary>True when every loop checked in within its deadline; otherwise false and why (the first late loop).</summary>
    public bool IsHealthy(out string reason)
    {
        var now = _clock.GetTimestamp();
        lock (_lock)
        {
            foreach (var loop in _loops)
            {
                var age = _clock.GetElapsedTime(Volatile.Read(ref loop.LastCheckIn), now);
                if (age > loop.Deadline)
                {
                    reason = $"{loop.Name} has not checked in for {age.TotalSeconds:0.#} s (deadline {loop.Deadline.TotalSeconds:0.#} s)";
                    return false;
                }
            }
        }
        reason = string.Empty;
        return true;
    }

    private void Remove(Loop loop)
    {
        lock (_lock)
        {
            _loops.Remove(loop);
        }
    }

    /// <summary>One watched loop: <see cref="CheckIn"/> each round; dispose when the loop ends on purpose.</summary>
    public sealed class Loop : IDisposable
    {
        private readonly WatchdogHealth _owner;
        internal long LastCheckIn;

        internal Loop(WatchdogHealth owner, string name, TimeSpan deadline, long now)
        {
            _owner = owner;
            Name = name;
            Deadline = deadline;
            LastCheckIn = now;
        }

        public string Name { get; }

        public TimeSpan Deadline { get; }

        public void CheckIn() => Volatile.Write(ref LastCheckIn, _owner._clock.GetTimestamp());

        public void Dispose() => _owner.Remove(this);
    }
}
