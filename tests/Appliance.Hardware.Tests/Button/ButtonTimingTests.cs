using Appliance.Hardware.Button;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Button;

public sealed class ButtonTimingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A script of raw edges ("+ms" down, "-ms" up) and ticks ("@ms"), and the actions that must come out (in order).
    /// </summary>
    public static TheoryData<string, string, string> Scripts => new()
    {
        { "short press", "+0 @30 -400 @430", "Pressed ShortPress" },
        { "press shorter than the debounce is nothing", "+0 -10 @100 @6000", "" },
        { "bouncing press counts once", "+0 -3 +6 -9 +12 @50 -600 +603 -606 @700", "Pressed ShortPress" },
        { "hold 5 s arms, release resets", "+0 @30 @4999 @5000 -5200 @5300", "Pressed ResetArmed FactoryReset" },
        { "hold just under 5 s is a short press", "+0 @30 @4990 -4995 @5100", "Pressed ShortPress" },
        { "armed by a tick that comes late still arms once", "+0 @30 @9000 @9500 -9600 @9700", "Pressed ResetArmed FactoryReset" },
        { "bounce on release after arming still resets once", "+0 @30 @5000 -6000 +6002 -6004 @6100", "Pressed ResetArmed FactoryReset" },
        { "stuck for 30 s: release does nothing", "+0 @30 @5000 @30000 -31000 @31100", "Pressed ResetArmed Cancelled" },
        { "two short presses", "+0 @30 -200 @250 +400 @450 -600 @650", "Pressed ShortPress Pressed ShortPress" },
        { "an edge settles what came before it", "+0 -200 +400 -600 @650", "Pressed ShortPress Pressed ShortPress" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Scripts))]
    public void Press_timing(string name, string script, string expected)
    {
        var timing = new ButtonTiming();
        var actions = new List<ButtonAction>();
        foreach (var step in script.Split(' '))
        {
            var at = T0.AddMilliseconds(int.Parse(step[1..], System.Globalization.CultureInfo.InvariantCulture));
            var a = step[0] switch
            {
                '+' => timing.Edge(true, at),
                '-' => timing.Edge(false, at),
                _ => timing.Tick(at),
            };
            if (a != ButtonAction.None)
            {
                actions.Add(a);
            }
        }
        Assert.True(expected == string.Join(' ', actions), $"{name}: got '{string.Join(' ', actions)}'");
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_next_deadline_says_when_to_tick()
    {
        var timing = new ButtonTiming();
        Assert.Null(timing.NextDeadline);
        timing.Edge(true, T0);
        Assert.Equal(T0.AddMilliseconds(30), timing.NextDeadline);
        timing.Tick(T0.AddMilliseconds(30));
        Assert.Equal(T0.AddSeconds(5), timing.NextDeadline);
        timing.Tick(T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(30), timing.NextDeadline);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(-1, 5000, 30000)]
    [InlineData(30, 30, 30000)]
    [InlineData(30, 5000, 5000)]
    public void Impossible_timings_are_refused(int debounce, int hold, int max) =>
        Assert.Throws<ArgumentException>(() => new ButtonTiming(TimeSpan.FromMilliseconds(debounce), TimeSpan.FromMilliseconds(hold), TimeSpan.FromMilliseconds(max)));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task The_monitor_reads_a_source_and_reports_actions_in_order()
    {
        using var source = new FakeButtonSource();
        var actions = new System.Collections.Concurrent.ConcurrentQueue<ButtonAction>();
        using var cts = new CancellationTokenSource();
        var run = new ButtonMonitor(source, new ButtonTiming(TimeSpan.Zero), actions.Enqueue, TextWriter.Null).RunAsync(cts.Token);
        var now = DateTimeOffset.UtcNow;
        source.Push(true, now);
        source.Push(false, now.AddMilliseconds(100));
        await Wait.UntilAsync(() => actions.Count >= 2, "press and release reported");
        Assert.Equal([ButtonAction.Pressed, ButtonAction.ShortPress], actions);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_failing_source_is_a_log_line_and_the_monitor_ends()
    {
        using var source = new FakeButtonSource { Failure = new IOException("reading /dev/input/event9 failed (errno 19)") };
        var log = new StringWriter();
        await new ButtonMonitor(source, new ButtonTiming(), _ => { }, log).RunAsync(CancellationToken.None);
        Assert.Contains("errno 19", log.ToString(), StringComparison.Ordinal);
    }
}
