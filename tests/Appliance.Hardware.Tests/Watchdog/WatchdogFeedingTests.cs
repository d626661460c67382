using Appliance.Hardware.Watchdog;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Hardware.Tests.Watchdog;

public sealed class WatchdogFeedingTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Fed_while_every_loop_checks_in_within_its_deadline()
    {
        var health = new WatchdogHealth(_clock);
        using var apply = health.Register("apply", TimeSpan.FromSeconds(60));
        using var mqtt = health.Register("mqtt", TimeSpan.FromSeconds(20));
        var dog = new FakeWatchdog(TimeSpan.FromSeconds(30));
        var feeder = new WatchdogFeeder(health, [dog], TextWriter.Null, _clock);
        Assert.True(feeder.FeedOnce());
        _clock.Advance(TimeSpan.FromSeconds(15));
        mqtt.CheckIn();
        apply.CheckIn();
        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.True(feeder.FeedOnce());
        Assert.Equal(2, dog.Feeds);
    }

    public static TheoryData<string, int, int, bool, string> Rows => new()
    {
        // name, seconds since apply checked in, seconds since mqtt checked in, fed?, reason contains
        { "both fresh", 1, 1, true, "" },
        { "exactly at the deadline", 60, 20, true, "" },
        { "stuck apply", 61, 1, false, "apply has not checked in for 61 s" },
        { "dead MQTT loop", 1, 21, false, "mqtt has not checked in for 21 s" },
        { "both late: the first named", 120, 120, false, "apply" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Rows))]
    public void Feeding_decision(string name, int applyAge, int mqttAge, bool fed, string reason)
    {
        var health = new WatchdogHealth(_clock);
        using var apply = health.Register("apply", TimeSpan.FromSeconds(60));
        using var mqtt = health.Register("mqtt", TimeSpan.FromSeconds(20));
        // Each loop's last check-in exactly its age ago.
        var healthy = Check(health, apply, mqtt, applyAge, mqttAge, out var why);
        Assert.True(fed == healthy, $"{name}: {why}");
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    private bool Check(WatchdogHealth health, WatchdogHealth.Loop apply, WatchdogHealth.Loop mqtt, int applyAge, int mqttAge, out string why)
    {
        // Replay in time order: the older check-in first, then advance to "now".
        var first = applyAge >= mqttAge ? apply : mqtt;
        var second = first == apply ? mqtt : apply;
        var (a1, a2) = applyAge >= mqttAge ? (applyAge, mqttAge) : (mqttAge, applyAge);
        first.CheckIn();
        _clock.Advance(TimeSpan.FromSeconds(a1 - a2));
        second.CheckIn();
        _clock.Advance(TimeSpan.FromSeconds(a2));
        return health.IsHealthy(out why);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_late_loop_stops_the_feeding_once_logged_and_feeding_resumes_when_it_checks_in()
    {
        var health = new WatchdogHealth(_clock);
        using var apply = health.Register("apply", TimeSpan.FromSeconds(10));
        var dog = new FakeWatchdog(TimeSpan.FromSeconds(30));
        var log = new StringWriter();
        var feeder = new WatchdogFeeder(health, [dog], log, _clock);
        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.False(feeder.FeedOnce());
        Assert.False(feeder.FeedOnce());
        Assert.Equal(0, dog.Feeds);
        Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        apply.CheckIn();
        Assert.True(feeder.FeedOnce());
        Assert.Equal(1, dog.Feeds);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_loop_that_ends_on_purpose_no_longer_counts()
    {
        var health = new WatchdogHealth(_clock);
        var loop = health.Register("report", TimeSpan.FromSeconds(5));
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.False(health.IsHealthy(out _));
        loop.Dispose();
        Assert.True(health.IsHealthy(out _));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(30, 10_000)]
    [InlineData(1, 333)]
    [InlineData(0, 10_000)] // systemd without WatchdogSec: the default round
    public void Fed_at_a_third_of_the_shortest_timeout(int timeoutSeconds, int intervalMs)
    {
        var feeder = new WatchdogFeeder(new WatchdogHealth(_clock), [new FakeWatchdog(TimeSpan.FromSeconds(timeoutSeconds))], TextWriter.Null, _clock);
        Assert.Equal(intervalMs, (int)feeder.Interval.TotalMilliseconds);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task The_feeder_loop_feeds_on_its_clock_and_stops_when_a_loop_hangs()
    {
        var health = new WatchdogHealth(_clock);
        using var loop = health.Register("apply", TimeSpan.FromSeconds(25));
        var dog = new FakeWatchdog(TimeSpan.FromSeconds(30));
        var feeder = new WatchdogFeeder(health, [dog], TextWriter.Null, _clock);
        using var cts = new CancellationTokenSource();
        var run = feeder.RunAsync(cts.Token);
        await Wait.UntilAsync(() => dog.Feeds == 1, "first feed");
        // The loop checks in at every step: on a loaded machine the feeder may run only after several steps, and a loop
        // left 25 s behind would (rightly) stop the feeding before the third feed.
        await Wait.UntilAsync(() => dog.Feeds >= 3, "fed every 10 s", () =>
        {
            loop.CheckIn();
            _clock.Advance(TimeSpan.FromSeconds(10));
        });
        var fed = dog.Feeds;
        // The loop stops checking in: after its 25 s deadline nothing is fed any more.
        for (var i = 0; i < 6; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Yield();
        }
        await Wait.UntilAsync(() => !health.IsHealthy(out _), "the loop is late");
        var after = dog.Feeds;
        _clock.Advance(TimeSpan.FromSeconds(10));
        _clock.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        Assert.Equal(after, dog.Feeds);
        Assert.True(after <= fed + 3, $"fed {after - fed} times after the last check-in");
        await cts.CancelAsync();
        await run;
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(null, null, false, 0)]
    [InlineData("relative/path", null, false, 0)]
    [InlineData("/run/systemd/notify", null, true, 0)]
    [InlineData("/run/systemd/notify", "30000000", true, 30)]
    [InlineData("@/org/freedesktop/systemd1/notify", "5000000", true, 5)]
    public void The_notify_socket_comes_from_the_environment(string? socket, string? usec, bool present, int timeoutSeconds)
    {
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socket, ["WATCHDOG_USEC"] = usec };
        using var notify = SystemdNotify.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(present, notify is not null);
        Assert.Equal(timeoutSeconds, (int)(notify?.Timeout.TotalSeconds ?? 0));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Watchdog_pings_for_another_pid_are_not_ours()
    {
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = "/run/n", ["WATCHDOG_USEC"] = "1000000", ["WATCHDOG_PID"] = "1" };
        using var notify = SystemdNotify.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(TimeSpan.Zero, notify!.Timeout);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void Sd_notify_datagrams_reach_the_socket()
    {
        using var dir = new TempDirectory("sdnotify");
        var path = dir.Combine("notify");
        using var server = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        server.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        var env = new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = path, ["WATCHDOG_USEC"] = "3000000" };
        using var notify = SystemdNotify.FromEnvironment(k => env.GetValueOrDefault(k))!;
        notify.Send("READY=1");
        notify.Feed();
        var buf = new byte[64];
        server.ReceiveTimeout = 5000;
        Assert.Equal("READY=1", System.Text.Encoding.UTF8.GetString(buf, 0, server.Receive(buf)));
        Assert.Equal("WATCHDOG=1", System.Text.Encoding.UTF8.GetString(buf, 0, server.Receive(buf)));
    }
}
