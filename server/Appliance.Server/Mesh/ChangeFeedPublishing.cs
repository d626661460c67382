using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Mesh;

/// <summary>
/// Publishing for server replicas on one PostgreSQL database. Every replica listens to the store's change feed
/// (<see cref="IChangeFeed"/>); the one that holds the publisher lock hands each row, in commit order, to its
/// <see cref="MeshPublisher"/> and then records what it published, so the replica that takes over when it dies (its
/// connection closes, the lock is free, another takes it within <see cref="RetryEvery"/>) resumes after the last
/// recorded row: nothing committed is skipped, and what may be sent twice (published but not yet recorded) is a
/// version agents already hold, which they drop. The others stand by, trying the lock, and take a signing key
/// rotated through any replica as their own. With one server (SQLite, <paramref name="feed"/> null) it does nothing:
/// the store hands the publisher its changes itself.
/// </summary>
public sealed class ChangeFeedPublishing(IChangeFeed? feed, MeshPublisher publisher, SigningKeyRing signingKeys, IApplianceStore store, TimeProvider clock,
    ILogger<ChangeFeedPublishing> logger) : BackgroundService
{
    /// <summary>How often a standing-by replica tries the lock: the longest a dead holder's networks wait for a taker.</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>Rows read per round: a burst is published in rounds of this many (each round coalesces its versions).</summary>
    public const int RowsPerRound = 256;

    // The holder waits this long for a notification before it reads anyway (a missed one costs at most this).
    private static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(5);

    private long _cursor;

    /// <summary>The last feed row this replica published (while it leads).</summary>
    public long Published => Interlocked.Read(ref _cursor);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => feed is null ? Task.CompletedTask : RunAsync(feed, stoppingToken);

    private async Task RunAsync(IChangeFeed feed, CancellationToken stoppingToken)
    {
        var notified = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!feed.Leading)
                {
                    if (await feed.TryLeadAsync(stoppingToken))
                    {
                        await TakeOverAsync(feed, stoppingToken);
                    }
                    else if (notified)
                    {
                        // A rotation through another replica: sign with it too (and show it) from now on.
                        if (await signingKeys.AdoptLatestAsync(store, stoppingToken))
                        {
                            logger.LogInformation("took signing key {Sequence} rotated through another replica", signingKeys.Current.Sequence);
                        }
                    }
                }
                if (feed.Leading)
                {
                    await PublishPendingAsync(feed, stoppingToken);
                }
                notified = await feed.WaitAsync(feed.Leading ? LeaderWait : RetryEvery, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "the change feed failed ({Role}); trying again", publisher.Publishing ? "publisher" : "standing by");
                if (publisher.Publishing && !feed.Leading)
                {
                    await publisher.StandDownAsync(stoppingToken);
                }
                notified = true;
                await Task.Delay(RetryEvery, clock, stoppingToken);
            }
        }
    }

    private async Task TakeOverAsync(IChangeFeed feed, CancellationToken ct)
    {
        var cursor = await feed.ReadCursorAsync(ct);
        await signingKeys.AdoptLatestAsync(store, ct);
        await publisher.TakeOverAsync(cursor.Versions, ct);
        Interlocked.Exchange(ref _cursor, cursor.Sequence);
        logger.LogInformation("this replica holds the publisher lock; publishing the change feed after row {Row}", cursor.Sequence);
    }

    private async Task PublishPendingAsync(IChangeFeed feed, CancellationToken ct)
    {
        while (true)
        {
            var entries = await feed.ReadAsync(Published, RowsPerRound, ct);
            if (entries.Count == 0)
            {
                return;
            }
            var rotations = new List<MeshPublisher.SigningKeyRotation>();
            if (entries.Any(e => e.SigningKey is not null))
            {
                await signingKeys.AdoptLatestAsync(store, ct);
                var chain = await store.ReadAsync(s => s.ListSigningKeys(), ct);
                foreach (var sequence in entries.Where(e => e.SigningKey is not null).Select(e => e.SigningKey!.Value))
                {
                    if (chain.FirstOrDefault(k => k.Sequence == sequence)?.Announcement is { } announcement)
                    {
                        rotations.Add(new MeshPublisher.SigningKeyRotation(announcement, signingKeys.PrivateKey));
                    }
                }
            }
            var sets = entries.Where(e => e.Changes is not null).Select(e => e.Changes!).ToList();
            var told = await publisher.PublishFeedAsync(sets, rotations, ct);
            var last = entries[^1].Sequence;
            await feed.RecordPublishedAsync(last, told, ct);
            Interlocked.Exchange(ref _cursor, last);
        }
    }

    public override void Dispose()
    {
        // Its own connection: closing it releases the publisher lock at once.
        feed?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose();
    }
}
