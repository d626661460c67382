using System.Net;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Npgsql;

namespace Appliance.Server.Tests;

/// <summary>
/// The PostgreSQL store's change feed on a real database: a committed write's rows are in the feed (and nothing of a
/// rolled-back one), read back as change sets with the records, in commit order; a set too big to list asks for the
/// network whole; a rotation of the signing key is a row; the published position is recorded and old rows pruned; and
/// one feed at a time holds the publisher lock, which the next takes once the holder's connection is gone.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ChangeFeedStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _connection = PostgresCluster.Instance.CreateDatabase();
    private PostgresStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new PostgresStore(_connection);
        await _store.WriteAsync(s =>
        {
            s.InsertNetwork(new NetworkRecord("home", IPNetwork.Parse("10.20.0.0/16"), null, 51820, 1420, 20, 1, T0));
            return 0;
        });
    }

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    private static NodeRecord Node(string id, int n) =>
        new(id, "home", "n-" + id, id, "pk" + id, IPAddress.Parse($"10.20.{n / 250}.{n % 250 + 1}"), null, 51820, [], "", "", [], "hash", null, T0, null, null);

    [Fact]
    public async Task A_committed_write_is_in_the_feed_with_its_records_and_a_rolled_back_one_is_not()
    {
        await using var feed = _store.OpenChangeFeed();
        await _store.WriteAsync(s =>
        {
            s.InsertNode(Node("a", 1));
            s.InsertNode(Node("b", 2));
            return 0;
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.WriteAsync<int>(s =>
        {
            s.InsertNode(Node("never", 3));
            throw new InvalidOperationException("the caller's check failed");
        }));
        await _store.WriteAsync(s =>
        {
            s.DeleteNode("a");
            return 0;
        });

        var entries = await feed.ReadAsync(0, 100, CancellationToken.None);
        Assert.Equal(2, entries.Count);
        Assert.True(entries[0].Sequence < entries[1].Sequence);
        var added = entries[0].Changes!;
        Assert.Equal(("home", 2L), (added.Network, added.Version));
        Assert.Equal([new StoreChange(ChangeKind.Node, "a"), new StoreChange(ChangeKind.Node, "b")], added.Changes);
        // The records as of the reader's snapshot: a is gone by now, b is there; the set keeps its own version.
        Assert.Null(added.Nodes["a"]);
        Assert.Equal("n-b", added.Nodes["b"]!.Name);
        Assert.Equal(2, added.Settings!.Version);
        var removed = entries[1].Changes!;
        Assert.Equal(3, removed.Version);
        Assert.Null(removed.Nodes["a"]);
        Assert.Empty(await feed.ReadAsync(entries[1].Sequence, 100, CancellationToken.None));
    }

    [Fact]
    public async Task A_write_of_more_records_than_a_row_lists_asks_for_the_network_whole()
    {
        await using var feed = _store.OpenChangeFeed();
        await _store.WriteAsync(s =>
        {
            for (var i = 0; i < 1001; i++)
            {
                s.InsertNode(Node("n" + i, i));
            }
            return 0;
        });
        var set = Assert.Single(await feed.ReadAsync(0, 10, CancellationToken.None)).Changes!;
        Assert.Equal([new StoreChange(ChangeKind.Network, "")], set.Changes);
        Assert.Equal(2, set.Version);
    }

    [Fact]
    public async Task A_signing_key_added_is_a_row_of_its_own()
    {
        await using var feed = _store.OpenChangeFeed();
        await _store.WriteAsync(s =>
        {
            s.InsertSigningKey(new SigningKeyRecord(7, "pub", [1, 2, 3], T0));
            return 0;
        });
        var entry = Assert.Single(await feed.ReadAsync(0, 10, CancellationToken.None));
        Assert.Null(entry.Changes);
        Assert.Equal(7, entry.SigningKey);
    }

    [Fact]
    public async Task What_was_published_is_recorded_and_published_rows_beyond_the_kept_ones_are_pruned()
    {
        await using var feed = _store.OpenChangeFeed();
        Assert.True(await feed.TryLeadAsync(CancellationToken.None));
        for (var i = 0; i < 5; i++)
        {
            await _store.WriteAsync(s =>
            {
                s.InsertNode(Node("p" + i, i));
                return 0;
            });
        }
        var entries = await feed.ReadAsync(0, 100, CancellationToken.None);
        await feed.RecordPublishedAsync(entries[^1].Sequence, new Dictionary<string, long> { ["home"] = 6 }, CancellationToken.None);
        var cursor = await feed.ReadCursorAsync(CancellationToken.None);
        Assert.Equal(entries[^1].Sequence, cursor.Sequence);
        Assert.Equal(6, cursor.Versions["home"]);
        // Kept: the last KeptRows published rows; older ones go.
        await feed.RecordPublishedAsync(entries[^1].Sequence + PostgresChangeFeed.KeptRows - 2, new Dictionary<string, long>(), CancellationToken.None);
        Assert.Equal(2, await CountRowsAsync());
    }

    [Fact]
    public async Task One_feed_at_a_time_holds_the_publisher_lock_and_the_next_takes_it_when_the_holders_connection_goes()
    {
        var first = _store.OpenChangeFeed();
        await using var second = _store.OpenChangeFeed();
        Assert.True(await first.TryLeadAsync(CancellationToken.None));
        Assert.False(await second.TryLeadAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.RecordPublishedAsync(1, new Dictionary<string, long>(), CancellationToken.None));

        // Notified of a write by another connection.
        await second.WaitAsync(TimeSpan.Zero, CancellationToken.None); // the first call reports "read what is there"
        await _store.WriteAsync(s =>
        {
            s.InsertNode(Node("x", 9));
            return 0;
        });
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));

        // The holder's session ends (as when its process dies): the lock is free as soon as its backend has gone,
        // which PostgreSQL does right after the connection closes (not in the same instant: the next tries take it).
        await first.DisposeAsync();
        await Wait.UntilAsync(() => second.TryLeadAsync(CancellationToken.None), "the other feed takes the lock", TimeSpan.FromSeconds(10),
            poll: TimeSpan.FromMilliseconds(50));
        Assert.True(second.Leading);
    }

    private async Task<long> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(_connection);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM changes", connection);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
