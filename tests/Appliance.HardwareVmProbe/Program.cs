using System.Collections.Concurrent;
using System.Diagnostics;
using Appliance.Hardware.Button;
using Appliance.Hardware.Led;
using Appliance.Hardware.Watchdog;
using Appliance.HardwareVmProbe;

// Scenarios, in the order given: button, led, watchdog-healthy, watchdog-starve (the last: it gets the VM reset);
// hold-input alone: a uinput button + LED device for an agent, held until told to stop.
var failures = 0;
foreach (var scenario in args)
{
    var sw = Stopwatch.StartNew();
    try
    {
        var detail = scenario switch
        {
            "button" => Scenarios.Button(),
            "led" => Scenarios.Led(),
            "watchdog-healthy" => Scenarios.WatchdogHealthy(),
            "watchdog-starve" => Scenarios.WatchdogStarve(),
            "hold-input" => Scenarios.HoldInput(),
            _ => throw new ArgumentException("unknown scenario " + scenario),
        };
        Console.WriteLine($"@@RESULT {scenario} PASS {detail} ({sw.Elapsed.TotalSeconds:0.0} s)");
    }
    catch (Exception e)
    {
        failures++;
        Console.WriteLine($"@@RESULT {scenario} FAIL {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
    }
}
return failures;

internal static class Scenarios
{
    private const ushort KeyRestart = EvdevCodec.KeyRestart;

    /// <summary>A uinput key drives EvdevButton + ButtonMonitor: a short press, then a 5.5 s hold.</summary>
    public static string Button()
    {
        using var dev = UInputDevice.Create("appliance-probe-button", [KeyRestart], []);
        string? path = null;
        var until = Stopwatch.StartNew();
        while ((path = EvdevButton.Find(KeyRestart)) is null && until.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(20);
        }
        Expect(path is not null, "no /dev/input/event* with KEY_RESTART after creating the uinput device");
        Console.WriteLine($"@@INFO button device {path}");
        using var button = EvdevButton.Open(path!, KeyRestart);
        var actions = new BlockingCollection<ButtonAction>();
        using var cts = new CancellationTokenSource();
        var monitor = new ButtonMonitor(button, new ButtonTiming(), actions.Add, Console.Out).RunAsync(cts.Token);

        dev.Key(KeyRestart, true);
        Thread.Sleep(300);
        dev.Key(KeyRestart, false);
        var shortPress = Take(actions, 2, TimeSpan.FromSeconds(5));
        Expect(shortPress == "Pressed ShortPress", "short press gave: " + shortPress);

        var held = Stopwatch.StartNew();
        dev.Key(KeyRestart, true);
        var armed = Take(actions, 2, TimeSpan.FromSeconds(10));
        var armedAfter = held.Elapsed;
        Expect(armed == "Pressed ResetArmed", "hold gave: " + armed);
        Expect(armedAfter >= TimeSpan.FromSeconds(4.9), $"armed after only {armedAfter.TotalSeconds:0.00} s");
        Thread.Sleep(500);
        dev.Key(KeyRestart, false);
        var reset = Take(actions, 1, TimeSpan.FromSeconds(5));
        Expect(reset == "FactoryReset", "release after the hold gave: " + reset);
        cts.Cancel();
        monitor.Wait();
        return $"{path}: short press, and armed after {armedAfter.TotalSeconds:0.00} s of holding, reset on release";
    }

    /// <summary>A uinput device with LEDs; input-leds makes LED class devices; every status pattern is read back.</summary>
    public static string Led()
    {
        using var dev = UInputDevice.Create("appliance-probe-leds", [], [0, 1]); // LED_NUML, LED_CAPSL
        string? name = null;
        var until = Stopwatch.StartNew();
        while (name is null && until.Elapsed < TimeSpan.FromSeconds(5))
        {
            var input = dev.SysfsInput();
            name = input is null ? null : Directory.GetDirectories(SysfsLed.ClassDirectory, Path.GetFileName(input) + "::capslock").Select(Path.GetFileName).FirstOrDefault();
            if (name is null)
            {
                Thread.Sleep(20);
            }
        }
        Expect(name is not null, "no /sys/class/leds/inputN::capslock for the uinput device");
        var sysfs = new SysfsLed(name!);
        var led = new StatusLed(sysfs, Console.Out);
        foreach (var state in Enum.GetValues<StatusLedState>())
        {
            led.Show(state);
            var pattern = StatusLedPatterns.For(state);
            var active = LedPlan.ParseTriggers(sysfs.Read("trigger")).Active;
            Expect(active == LedPlan.TriggerName(pattern.Trigger), $"{state}: trigger [{active}], wanted {LedPlan.TriggerName(pattern.Trigger)}");
            if (pattern.Trigger == LedTrigger.Timer)
            {
                Expect(sysfs.Read("delay_on") == pattern.DelayOnMs.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && sysfs.Read("delay_off") == pattern.DelayOffMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"{state}: delay_on/off {sysfs.Read("delay_on")}/{sysfs.Read("delay_off")}");
            }
            if (pattern.Trigger is LedTrigger.None or LedTrigger.DefaultOn)
            {
                var want = pattern.On ? sysfs.Read("max_brightness") : "0";
                Expect(sysfs.Read("brightness") == want, $"{state}: brightness {sysfs.Read("brightness")}, wanted {want}");
            }
            Console.WriteLine($"@@INFO led {name} {state}: {sysfs.Read("trigger")} brightness={sysfs.Read("brightness")}");
        }
        // The kernel keeps running the last pattern without us: the trigger stays after the writer is gone.
        led.Show(StatusLedState.WaitingForToken);
        Expect(LedPlan.ParseTriggers(new SysfsLed(name!).Read("trigger")).Active == "timer", "the timer trigger did not stay");
        return $"{name}: {Enum.GetValues<StatusLedState>().Length} patterns read back through sysfs";
    }

    /// <summary>softdog at 3 s, fed while a loop checks in, for 3× the timeout: the VM lives; then the magic close.</summary>
    public static string WatchdogHealthy()
    {
        var health = new WatchdogHealth(TimeProvider.System);
        using var loop = health.Register("apply", TimeSpan.FromSeconds(2));
        using var dog = KernelWatchdog.Open("/dev/watchdog", TimeSpan.FromSeconds(3));
        Expect(dog.Timeout == TimeSpan.FromSeconds(3), $"WDIOC_SETTIMEOUT: the driver says {dog.Timeout.TotalSeconds} s");
        var feeder = new WatchdogFeeder(health, [dog], Console.Out, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var run = feeder.RunAsync(cts.Token);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(9))
        {
            loop.CheckIn();
            Thread.Sleep(200);
        }
        cts.Cancel();
        run.Wait();
        Expect(feeder.Feeds >= 9, $"fed only {feeder.Feeds} times in 9 s");
        return $"alive after {sw.Elapsed.TotalSeconds:0.0} s (3× the 3 s timeout), fed {feeder.Feeds} times, disarmed with the magic close";
    }

    /// <summary>softdog at 3 s; the watched loop stops checking in: the feeder stops and the VM must be reset.</summary>
    public static string WatchdogStarve()
    {
        var health = new WatchdogHealth(TimeProvider.System);
        using var loop = health.Register("apply", TimeSpan.FromSeconds(1));
        var dog = KernelWatchdog.Open("/dev/watchdog", TimeSpan.FromSeconds(3));
        var feeder = new WatchdogFeeder(health, [dog], Console.Out, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var run = feeder.RunAsync(cts.Token);
        loop.CheckIn();
        Console.WriteLine("@@WD starving: the apply loop stops checking in now");
        Thread.Sleep(TimeSpan.FromSeconds(30));
        // Still here: the watchdog did not fire.
        cts.Cancel();
        run.Wait();
        dog.Dispose();
        throw new InvalidOperationException($"still running 30 s after the loop stopped (fed {feeder.Feeds} times)");
    }

    /// <summary>The file whose appearance makes <see cref="HoldInput"/> press the key briefly (it removes the file).</summary>
    public const string PressFile = "/tmp/hold-input.press";

    /// <summary>The file whose appearance makes <see cref="HoldInput"/> remove its device and return.</summary>
    public const string StopFile = "/tmp/hold-input.stop";

    /// <summary>
    /// A uinput device with KEY_RESTART and two LEDs (so input-leds makes LED class devices) for a real agent to
    /// use: prints <c>@@HOLD EVENT=/dev/input/eventN LED=inputN::capslock</c>, presses the key for 300 ms each time
    /// <see cref="PressFile"/> appears, and removes the device when <see cref="StopFile"/> appears (at most 30 min).
    /// </summary>
    public static string HoldInput()
    {
        using var dev = UInputDevice.Create("appliance-agent-button", [KeyRestart], [0, 1]);
        string? path = null, led = null;
        var until = Stopwatch.StartNew();
        while ((path is null || led is null) && until.Elapsed < TimeSpan.FromSeconds(5))
        {
            path = EvdevButton.Find(KeyRestart);
            var input = dev.SysfsInput();
            led = input is null ? null : Directory.GetDirectories(SysfsLed.ClassDirectory, Path.GetFileName(input) + "::capslock").Select(Path.GetFileName).FirstOrDefault();
            Thread.Sleep(20);
        }
        Expect(path is not null && led is not null, $"the uinput device gave event={path} led={led}");
        Console.WriteLine($"@@HOLD EVENT={path} LED={led}");
        var presses = 0;
        var held = Stopwatch.StartNew();
        while (!File.Exists(StopFile) && held.Elapsed < TimeSpan.FromMinutes(30))
        {
            if (File.Exists(PressFile))
            {
                File.Delete(PressFile);
                dev.Key(KeyRestart, true);
                Thread.Sleep(300);
                dev.Key(KeyRestart, false);
                presses++;
                Console.WriteLine($"@@HOLD pressed {presses}");
            }
            Thread.Sleep(50);
        }
        return $"{path} and {led} held {held.Elapsed.TotalSeconds:0} s, {presses} short presses";
    }

    private static string Take(BlockingCollection<ButtonAction> actions, int count, TimeSpan timeout)
    {
        var got = new List<ButtonAction>();
        var sw = Stopwatch.StartNew();
        while (got.Count < count && actions.TryTake(out var a, timeout - sw.Elapsed > TimeSpan.Zero ? timeout - sw.Elapsed : TimeSpan.Zero))
        {
            got.Add(a);
        }
        return string.Join(' ', got);
    }

    private static void Expect(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException(what);
        }
    }
}
