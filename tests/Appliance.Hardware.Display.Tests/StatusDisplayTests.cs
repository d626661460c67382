using Appliance.Hardware.Display.VmProbe;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Hardware.Display.Tests;

/// <summary>The display loop on a fake clock and a recording I²C bus: what it sends, when, and how it copes without a panel.</summary>
public sealed class StatusDisplayTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeI2cBus _bus = new();
    private readonly StringWriter _log = new();
    private DisplayStatus _status = DisplaySamples.Member;

    private StatusDisplay Create(DisplayOptions? options = null) =>
        new(_bus, _ => ValueTask.FromResult(_status), _log, _clock, options);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Start_sends_the_golden_stream_init_first_page_then_display_on_and_stop_switches_it_off()
    {
        var display = Create();
        using var cts = new CancellationTokenSource();

        var run = display.RunAsync(cts.Token);
        await Wait.UntilAsync(() => display.FramesSent == 1, "the first frame");

        Goldens.AssertStream("ssd1306-member-start", _bus.Writes);
        Assert.Equal(PageLayout.Render(PageLayout.Layout(DisplaySamples.Member, StatusPage.Node)), display.Shown);
        await cts.CancelAsync();
        await run;
        Assert.Equal("00ae", Convert.ToHexStringLower(_bus.Writes[^1]));
        Assert.Equal("display: SSD1306 128x64 on /dev/i2c-1 0x3c", _log.ToString().Trim());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task NextPage_cycles_through_the_pages_and_wraps_and_a_gateway_has_its_clients_page()
    {
        var display = Create();
        using var cts = new CancellationTokenSource();
        var run = display.RunAsync(cts.Token);
        await Wait.UntilAsync(() => display.FramesSent == 1, "the first frame");

        var seen = new List<StatusPage> { display.CurrentPage };
        for (var i = 0; i < 3; i++)
        {
            var sent = display.FramesSent;
            display.NextPage();
            await Wait.UntilAsync(() => display.FramesSent == sent + 1, "the next page", () => _clock.Advance(TimeSpan.FromMilliseconds(50)));
            seen.Add(display.CurrentPage);
            Assert.Equal(PageLayout.Render(PageLayout.Layout(_status, display.CurrentPage)), display.Shown);
        }
        Assert.Equal([StatusPage.Node, StatusPage.Mesh, StatusPage.Uptime, StatusPage.Node], seen);

        _status = DisplaySamples.Gateway;
        display.NextPage();
        display.NextPage();
        await Wait.UntilAsync(() => display.CurrentPage == StatusPage.Gateway, "the gateway page", () => _clock.Advance(TimeSpan.FromMilliseconds(50)));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_page_that_goes_away_falls_back_to_the_first()
    {
        _status = DisplaySamples.Gateway;
        var display = Create();
        using var cts = new CancellationTokenSource();
        var run = display.RunAsync(cts.Token);
        await Wait.UntilAsync(() => display.FramesSent == 1, "the first frame");
        display.NextPage();
        display.NextPage();
        await Wait.UntilAsync(() => display.CurrentPage == StatusPage.Gateway, "the gateway page", () => _clock.Advance(TimeSpan.FromMilliseconds(50)));

        _status = DisplaySamples.Member; // the ingress role was removed
        await Wait.UntilAsync(() => display.CurrentPage == StatusPage.Node, "the node page", () => _clock.Advance(TimeSpan.FromMilliseconds(250)));

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Refresh_follows_the_timer_sends_only_changes_and_a_burst_of_presses_is_one_frame_per_interval()
    {
        var display = Create(new DisplayOptions { RefreshInterval = TimeSpan.FromSeconds(1), MinFrameInterval = TimeSpan.FromMilliseconds(200) });
        using var cts = new CancellationTokenSource();
        var run = display.RunAsync(cts.Token);
        await Wait.UntilAsync(() => display.FramesSent == 1, "the first frame");
        var writes = _bus.Writes.Count;

        // Ticks with nothing new: rendered, but not one byte on the bus.
        for (var tick = 1; tick <= 3; tick++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Wait.UntilAsync(() => display.FramesRendered == 1 + tick, $"refresh {tick}");
        }
        Assert.Equal(writes, _bus.Writes.Count);
        Assert.Equal(1, display.FramesSent);

        // The uptime moves a minute: the next tick sends only the page of display RAM that changed.
        _status = _status with { AgentUptime = _status.AgentUptime + TimeSpan.FromMinutes(1) };
        display.NextPage();
        display.NextPage(); // the uptime page
        await Wait.UntilAsync(() => display.FramesSent == 2, "the uptime page");
        var rendered = display.FramesRendered;

        // Ten presses at once, right after a frame: nothing more until MinFrameInterval has passed, then one frame.
        for (var i = 0; i < 10; i++)
        {
            display.NextPage();
        }
        _clock.Advance(TimeSpan.FromMilliseconds(199));
        await Task.Delay(50);
        Assert.Equal(2, display.FramesSent);
        Assert.Equal(rendered, display.FramesRendered);
        // The display loop reads the time since its last frame and then arms its delay on the fake clock; if the advance
        // above fell between the two, the delay runs from 199 ms. So the clock moves a millisecond per poll from here.
        await Wait.UntilAsync(() => display.FramesSent == 3, "one frame for the burst", () => _clock.Advance(TimeSpan.FromMilliseconds(1)));
        // Ten presses from the uptime page (3 pages): 10 % 3 = 1 page on, which is the node page.
        Assert.Equal(StatusPage.Node, display.CurrentPage);
        Assert.Equal(rendered + 1, display.FramesRendered);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_missing_display_is_one_log_line_and_the_loop_returns_without_throwing()
    {
        _bus.Absent = true;
        var display = Create();

        await display.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(
            "display: no answer (ACK) from 0x3c on /dev/i2c-1: is the display connected, and at that address?; running without it",
            Assert.Single(_log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(_bus.Writes);
        Assert.False(display.Available);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_display_that_stops_answering_is_said_once_tried_again_and_redrawn_whole_when_back()
    {
        var display = Create(new DisplayOptions { RetryInterval = TimeSpan.FromSeconds(30) });
        using var cts = new CancellationTokenSource();
        var run = display.RunAsync(cts.Token);
        await Wait.UntilAsync(() => display.FramesSent == 1, "the first frame");

        _bus.Absent = true;
        _status = _status with { PeersRecent = 4 };
        display.NextPage();
        await Wait.UntilAsync(() => !display.Available, "the display to be seen gone", () => _clock.Advance(TimeSpan.FromMilliseconds(100)));
        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(30)); // retries, all failing: no more log lines
            await Task.Delay(10);
        }
        Assert.Equal(2, _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        _bus.Absent = false;
        _bus.Clear();
        await Wait.UntilAsync(() => display.FramesSent == 2, "the display back", () => _clock.Advance(TimeSpan.FromSeconds(1)));
        // Back: set up again and the whole frame sent, since the panel's RAM is unknown after a power loss.
        // Not the binding's constructor again (the panel object stays): the 128x64 setup, then the window.
        var setup = Ssd1306Plan.Setup().Select(c => Convert.ToHexStringLower([Ssd1306Command.ControlCommands, .. c.GetBytes()])).ToList();
        Assert.Equal(setup, _bus.Writes.Take(setup.Count).Select(Convert.ToHexStringLower));
        Assert.Equal(["0021007f", "00220007"], _bus.Writes.Skip(setup.Count).Take(2).Select(Convert.ToHexStringLower));
        Assert.Contains("answers again", _log.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_status_source_that_fails_is_logged_once_and_the_display_keeps_going()
    {
        var fail = true;
        var display = new StatusDisplay(_bus, _ => fail ? throw new IOException("state.json unreadable") : ValueTask.FromResult(_status), _log, _clock);
        using var cts = new CancellationTokenSource();
        var run = display.RunAsync(cts.Token);
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
        fail = false;
        await Wait.UntilAsync(() => display.FramesSent == 1, "a frame once the status reads", () => _clock.Advance(TimeSpan.FromSeconds(1)));

        Assert.Single(_log.ToString().Split('\n'), l => l.Contains("state.json unreadable", StringComparison.Ordinal));
        await cts.CancelAsync();
        await run;
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(50, 200, 30, "RefreshInterval")]
    [InlineData(120_000, 200, 30, "RefreshInterval")]
    [InlineData(1000, 5, 30, "MinFrameInterval")]
    [InlineData(1000, 200, 0, "RetryInterval")]
    public void Options_out_of_range_are_refused_by_name(int refreshMs, int minFrameMs, int retryS, string name)
    {
        var options = new DisplayOptions { RefreshInterval = TimeSpan.FromMilliseconds(refreshMs), MinFrameInterval = TimeSpan.FromMilliseconds(minFrameMs), RetryInterval = TimeSpan.FromSeconds(retryS) };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Create(options));
        Assert.Equal(name, e.ParamName);
    }
}
