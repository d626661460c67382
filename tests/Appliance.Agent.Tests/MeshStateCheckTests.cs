using Appliance.Agent.Mesh;
using Appliance.Contracts.Api;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>When the daemon checks its state over HTTPS, and which pulled state it takes (fake clock, no I/O).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshStateCheckTests
{
    private static readonly TimeSpan After = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static NodeConfigDto Config(long v, string? epoch = "e1", string? server = "s1") =>
        new("me", "me", v, new NodeInterfaceDto("home", ["10.0.0.1/24"], 51821, 1420), [], Epoch: epoch, ServerId: server);

    public static TheoryData<string, NodeConfigDto?, NodeConfigDto, bool> Pulls => new()
    {
        { "nothing yet", null, Config(1), true },
        { "newer, same lineage", Config(5), Config(6), true },
        { "same version", Config(5), Config(5), false },
        { "older, same lineage (a stale answer)", Config(5), Config(4), false },
        { "lower version of a network made again", Config(5), Config(2, epoch: "e2"), true },
        { "lower version of another database", Config(5), Config(1, server: "s2"), true },
        { "state from before lineages, pulled with one", Config(5, null, null), Config(5), true },
    };

    [Theory]
    [MemberData(nameof(Pulls))]
    public void Takes_a_pulled_state_when_newer_or_of_a_new_lineage(string row, NodeConfigDto? current, NodeConfigDto pulled, bool take) =>
        Assert.True(take == MeshStateCheck.ShouldTake(current, pulled), row);

    [Fact]
    public void Due_after_the_quiet_time_of_connected_time_only()
    {
        var check = new MeshStateCheck(_clock, After);
        _clock.Advance(After - TimeSpan.FromSeconds(1));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: true));
        // Something newer arrived: the quiet time starts again.
        check.HeardNews();
        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: true));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(check.TakeDue(_clock.GetUtcNow(), connected: true));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: true)); // a check counts as news
        // Disconnected time does not count: the reconnect asks for a snapshot anyway.
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: false));
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: true));
    }

    [Fact]
    public void A_check_asked_for_runs_at_once_but_not_more_than_once_per_gap()
    {
        var check = new MeshStateCheck(_clock, After);
        check.CheckSoon();
        Assert.True(check.TakeDue(_clock.GetUtcNow(), connected: true));
        check.CheckSoon();
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(check.TakeDue(_clock.GetUtcNow(), connected: true)); // a flood of bad messages is not a flood of checks
        _clock.Advance(check.MinGap);
        Assert.True(check.TakeDue(_clock.GetUtcNow(), connected: true));
    }

    [Fact]
    public async Task The_loop_checks_once_the_quiet_time_passed_and_keeps_going_after_a_failed_check()
    {
        var check = new MeshStateCheck(_clock, After);
        var calls = 0;
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringWriter();
        using var cts = new CancellationTokenSource();
        var loop = check.RunAsync(() => true, _ =>
        {
            if (++calls == 1)
            {
                throw new AgentException("cannot reach the server at https://192.0.2.1: timed out");
            }
            second.TrySetResult();
            return Task.CompletedTask;
        }, TextWriter.Synchronized(log), cts.Token);
        for (var i = 0; i < 2 * (After / check.Tick) + 2 && !second.Task.IsCompleted; i++)
        {
            _clock.Advance(check.Tick);
            await Task.Yield();
            await Task.Delay(1);
        }
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, calls);
        Assert.Contains("checking the state over HTTPS failed: cannot reach the server", log.ToString(), StringComparison.Ordinal);
        await cts.CancelAsync();
        await loop;
    }
}
