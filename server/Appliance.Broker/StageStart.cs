namespace Appliance.Broker;

/// <summary>Where a timed stage began (<see cref="StageCounter.Start"/>): the stopwatch, the thread's CPU clock, the thread and what it had allocated.</summary>
public readonly record struct StageStart(long Timestamp, long CpuNanoseconds, int ThreadId, long AllocatedBytes);
