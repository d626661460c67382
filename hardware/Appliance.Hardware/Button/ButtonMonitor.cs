namespace Appliance.Hardware.Button;

/// <summary>
/// Reads a button source on its own thread, runs <see cref="ButtonTiming"/> and reports each action. A source that
/// fails is a log line; the monitor then stops (the rest of the agent goes on).
/// </summary>
public sealed class ButtonMonitor(IButtonSource source, ButtonTiming timing, Action<ButtonAction> onAction, TextWriter log, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Runs until <paramref name="ct"/> is cancelled (polls for cancellation at least every 250 ms).</summary>
    public Task RunAsync(CancellationToken ct) => Task.Factory.StartNew(() => Run(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)
        .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        log.WriteLine($"button: {source.Description} (short press: status, hold {timing.Hold.TotalSeconds:0} s: factory reset)");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = _clock.GetUtcNow();
                var wait = TimeSpan.FromMilliseconds(250);
                if (timing.NextDeadline is { } due && due - now < wait)
                {
                    wait = due - now < TimeSpan.Zero ? TimeSpan.Zero : due - now;
                }
                var action = source.WaitForEdge(wait) is { } edge ? timing.Edge(edge.Pressed, edge.At) : timing.Tick(_clock.GetUtcNow());
                if (action != ButtonAction.None)
                {
                    Report(action);
                }
            }
        }
        catch (IOException e)
        {
            log.WriteLine($"button: {e.Message}; the button is ignored from now on");
        }
    }

    private void Report(ButtonAction action)
    {
        try
        {
            onAction(action);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.WriteLine($"button: handling {action} failed: {e.Message}");
        }
    }
}
