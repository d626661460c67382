using Iot.Device.Ssd13xx.Commands;

namespace Appliance.Hardware.Display;

/// <summary>
/// Drives an SSD1306 with the agent's status through Iot.Device.Ssd13xx (<see cref="StatusSsd1306"/> over
/// <see cref="Ssd1306I2cDevice"/>): sets the panel up, then on every refresh tick (and after
/// <see cref="NextPage"/>) reads the status, lays out the current page, and sends only the pages of display RAM that
/// changed, at most one frame per <see cref="DisplayOptions.MinFrameInterval"/>. A display that does not answer at
/// the start is one log line and <see cref="RunAsync"/> returns; one that stops answering later is one line and is
/// tried again every <see cref="DisplayOptions.RetryInterval"/>. The panel is switched off when the loop stops.
/// </summary>
public sealed class StatusDisplay : IStatusPages
{
    private readonly II2cBus _bus;
    private readonly Ssd1306I2cDevice _device;
    private StatusSsd1306? _panel;
    private readonly Func<CancellationToken, ValueTask<DisplayStatus>> _status;
    private readonly TimeProvider _clock;
    private readonly TextWriter _log;
    private readonly DisplayOptions _options;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _presses;
    private FrameBuffer? _shown;
    private long _lastFrame;
    private string? _lastStatusError;

    public StatusDisplay(II2cBus bus, Func<CancellationToken, ValueTask<DisplayStatus>> status, TextWriter log, TimeProvider? clock = null, DisplayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(log);
        _options = options ?? new DisplayOptions();
        _options.Validate();
        _bus = bus;
        _device = new Ssd1306I2cDevice(bus);
        _status = status;
        _log = log;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The page shown (or about to be).</summary>
    public StatusPage CurrentPage { get; private set; } = StatusPage.Node;

    /// <summary>Frames sent to the panel (a frame with no changed page is not sent and not counted).</summary>
    public int FramesSent { get; private set; }

    /// <summary>Frames rendered (one per refresh or page change), sent or not.</summary>
    public int FramesRendered { get; private set; }

    /// <summary>False while the display does not answer.</summary>
    public bool Available { get; private set; }

    /// <summary>The last frame sent, for tests and diagnostics.</summary>
    public FrameBuffer? Shown => _shown;

    public void NextPage()
    {
        Interlocked.Increment(ref _presses);
        Wake();
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled, or returns at once (after one log line) when the display is not there.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            Init();
        }
        catch (DisplayUnavailableException e)
        {
            _log.WriteLine($"display: {e.Message}; running without it");
            return;
        }
        _log.WriteLine($"display: SSD1306 128x64 on {_bus.Name}");
        using var timer = _clock.CreateTimer(_ => Wake(), null, _options.RefreshInterval, _options.RefreshInterval);
        try
        {
            while (true)
            {
                await ShowAsync(ct).ConfigureAwait(false);
                if (!Available)
                {
                    await RecoverAsync(ct).ConfigureAwait(false);
                    continue;
                }
                await _wake.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: a frozen status would claim a connection that may be gone, so the panel goes dark.
            TrySend(new SetDisplayOff());
        }
    }

    private async Task ShowAsync(CancellationToken ct)
    {
        // Bounded rate: page presses in a burst are coalesced into the next frame, not one frame each.
        var since = _clock.GetElapsedTime(_lastFrame);
        if (_lastFrame != 0 && since < _options.MinFrameInterval)
        {
            await Task.Delay(_options.MinFrameInterval - since, _clock, ct).ConfigureAwait(false);
        }
        DisplayStatus status;
        try
        {
            status = await _status(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Same failure again and again: said once.
            if (e.Message != _lastStatusError)
            {
                _log.WriteLine($"display: cannot read the status: {e.Message}");
                _lastStatusError = e.Message;
            }
            return;
        }
        _lastStatusError = null;
        var pages = PageLayout.PagesFor(status);
        var index = Math.Max(0, IndexOf(pages, CurrentPage));
        CurrentPage = pages[(index + Interlocked.Exchange(ref _presses, 0)) % pages.Count];
        var frame = PageLayout.Render(PageLayout.Layout(status, CurrentPage));
        FramesRendered++;
        var windows = Ssd1306Plan.ChangedPages(frame, _shown);
        if (windows.Count == 0)
        {
            return;
        }
        try
        {
            var panel = _panel!;
            var first = _shown is null;
            foreach (var window in windows)
            {
                panel.Draw(frame, window);
            }
            if (first)
            {
                // Switched on only once display RAM holds the page: no stale picture flashes up.
                panel.Send(new SetDisplayOn());
            }
            _shown = frame;
            FramesSent++;
            _lastFrame = _clock.GetTimestamp();
        }
        catch (DisplayUnavailableException e)
        {
            _log.WriteLine($"display: {e.Message}; trying again every {_options.RetryInterval.TotalSeconds:0} s");
            Available = false;
            _shown = null;
        }
    }

    private async Task RecoverAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(_options.RetryInterval, _clock, ct).ConfigureAwait(false);
            try
            {
                Init();
                _log.WriteLine($"display: {_bus.Name} answers again");
                return;
            }
            catch (DisplayUnavailableException)
            {
                // Still gone: already said.
            }
        }
    }

    private void Init()
    {
        // The binding's constructor runs its power-on sequence (and a clear); a display that answers again later may
        // have been power-cycled, so the 128x64 setup is sent every time.
        _panel ??= new StatusSsd1306(_device);
        foreach (var command in Ssd1306Plan.Setup())
        {
            _panel.Send(command);
        }
        _shown = null;
        Available = true;
    }

    private void TrySend(ICommand command)
    {
        try
        {
            _panel?.Send(command);
        }
        catch (DisplayUnavailableException)
        {
            // Gone already: nothing to switch off.
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending: one is enough.
        }
    }

    private static int IndexOf(IReadOnlyList<StatusPage> pages, StatusPage page)
    {
        for (var i = 0; i < pages.Count; i++)
        {
            if (pages[i] == page)
            {
                return i;
            }
        }
        return -1;
    }
}
