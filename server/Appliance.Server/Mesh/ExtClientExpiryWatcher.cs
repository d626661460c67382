using System.Threading.Channels;
using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Publishes ext-client expiries: when a client's expiry passes, its network's version is bumped once so the gateway
/// is sent a delta with the client disabled (and, in routing mode, every member loses its address). The gateway also
/// enforces the expiry itself, so this only has to be prompt, not exact; it sleeps until the next expiry (at most a
/// minute) and is woken early when a client is created or its expiry changes.
/// </summary>
public sealed class ExtClientExpiryWatcher(IApplianceStore store, TimeProvider clock, ILogger<ExtClientExpiryWatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);
    private readonly Channel<bool> _poke = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>An expiry was set or changed: look again now.</summary>
    public void Poke() => _poke.Writer.TryWrite(true);

    /// <summary>Bumps the version of every network with a client whose expiry passed unpublished; returns them and the next expiry.</summary>
    public async Task<(List<string> Networks, DateTimeOffset? Next)> PublishDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        using var activity = ActivityScope.Begin(ActivityActorKind.System, "server", "ext client expiry");
        var (networks, next) = await store.WriteAsync(s =>
        {
            var due = s.ListUnpublishedExpiries(now);
            foreach (var c in due)
            {
                s.UpdateExtClient(c with { ExpiryPublished = true });
            }
            // The store records each client's change and moves its network's version once; the mesh hears it on commit.
            return (due.Select(c => c.Network).Distinct(StringComparer.Ordinal).ToList(), s.NextUnpublishedExpiry());
        }, ct);
        return (networks, next);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = MaxSleep;
            try
            {
                var (_, next) = await PublishDueAsync(stoppingToken);
                if (next is { } at)
                {
                    var until = at - clock.GetUtcNow();
                    sleep = until < TimeSpan.Zero ? TimeSpan.Zero : until < MaxSleep ? until + TimeSpan.FromMilliseconds(50) : MaxSleep;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "publishing ext-client expiries failed; retrying in {Seconds} s", MaxSleep.TotalSeconds);
            }
            // The sleep runs on the server's clock, like the expiries it waits for.
            using var sleeping = new CancellationTokenSource(sleep, clock);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, sleeping.Token);
            try
            {
                await _poke.Reader.WaitToReadAsync(wait.Token);
                _poke.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // slept the whole time: look again
            }
        }
    }
}
