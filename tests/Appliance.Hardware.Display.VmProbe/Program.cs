using System.Diagnostics;
using Appliance.Hardware.Display;
using Appliance.Hardware.Display.VmProbe;

// Usage: Appliance.Hardware.Display.VmProbe <bus number of i2c-stub, which has a chip at 0x3c only> [rss]
if (args.Length is < 1 or > 2 || !int.TryParse(args[0], out var bus))
{
    Console.WriteLine("@@RESULT usage FAIL expected the stub's bus number");
    return 2;
}
var failed = 0;
if (args is [_, "rss"])
{
    // 2. What the display costs a process: resident memory before it starts and after 10 s of redrawing every 100 ms
    // (the uptime changing each time, so every refresh sends a page), against the stub. Figures for docs/BENCHMARKS.md.
    try
    {
        GC.Collect();
        var before = Rss();
        using var i2c = LinuxI2cBus.Open(new DisplayAddress(bus, 0x3C));
        var ticks = 0;
        var display = new StatusDisplay(i2c, _ => ValueTask.FromResult(DisplaySamples.Member with { SystemUptime = TimeSpan.FromMinutes(++ticks) }), TextWriter.Null, null,
            new DisplayOptions { RefreshInterval = TimeSpan.FromMilliseconds(100), MinFrameInterval = TimeSpan.FromMilliseconds(20) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        display.NextPage();
        display.NextPage(); // the uptime page
        await display.RunAsync(cts.Token);
        var after = Rss();
        Console.WriteLine($"@@RSS before_kb={before.Rss} after_kb={after.Rss} anon_before_kb={before.Anon} anon_after_kb={after.Anon} frames={display.FramesSent}");
        Report("rss", display.FramesSent > 10, $"frames={display.FramesSent}");
    }
    catch (Exception e)
    {
        Report("rss", false, e.ToString());
    }
    return failed == 0 ? 0 : 1;
}

// 1. The real path: StatusDisplay -> LinuxI2cBus -> /dev/i2c-N -> i2c-stub; one frame, then a clean stop.
try
{
    using var i2c = LinuxI2cBus.Open(new DisplayAddress(bus, 0x3C));
    var log = new StringWriter();
    var display = new StatusDisplay(i2c, _ => ValueTask.FromResult(DisplaySamples.Member), log);
    using var cts = new CancellationTokenSource();
    var run = display.RunAsync(cts.Token);
    var watch = Stopwatch.StartNew();
    while (display.FramesSent < 1 && !run.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(10);
    }
    await cts.CancelAsync();
    await run;
    Report("frame", display.FramesSent == 1 && display.Available, $"sent={display.FramesSent} log={OneLine(log)}");
}
catch (Exception e)
{
    Report("frame", false, e.ToString());
}

// 3. No chip at 0x3d: one log line, and RunAsync returns by itself instead of throwing.
try
{
    using var i2c = LinuxI2cBus.Open(new DisplayAddress(bus, 0x3D));
    var log = new StringWriter();
    var display = new StatusDisplay(i2c, _ => ValueTask.FromResult(DisplaySamples.Member), log);
    var run = display.RunAsync(CancellationToken.None);
    var done = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run;
    var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    Report("absent", done && lines.Length == 1 && lines[0].Contains("no answer (ACK) from 0x3d", StringComparison.Ordinal), $"returned={done} log={OneLine(log)}");
}
catch (Exception e)
{
    Report("absent", false, e.ToString());
}

// 4. No such bus: the error names the device node.
try
{
    using var i2c = LinuxI2cBus.Open(new DisplayAddress(1000, 0x3C));
    Report("nobus", false, "opened /dev/i2c-1000");
}
catch (DisplayUnavailableException e)
{
    Report("nobus", e.Message.Contains("no /dev/i2c-1000", StringComparison.Ordinal), e.Message);
}
return failed == 0 ? 0 : 1;

void Report(string name, bool ok, string detail)
{
    failed += ok ? 0 : 1;
    Console.WriteLine($"@@RESULT {name} {(ok ? "PASS" : "FAIL")} {detail.ReplaceLineEndings(" | ")}");
}

static (long Rss, long Anon) Rss()
{
    long Field(string name) => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    return (Field("VmRSS"), Field("RssAnon"));
}

static string OneLine(StringWriter w) => w.ToString().Trim().ReplaceLineEndings(" | ");
