using System.Net;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

/// <summary>
/// The store writes the activity log as writes commit (issue #21): one entry per actor's scope that changed a row, an
/// entry for the server itself when members must hear of a change made outside any scope, none for a node's reports
/// that move only its own bookkeeping or for a rolled-back write; and the log stays within its bounds.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ActivityLogStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new("appliance-activity");
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly SqliteStore _store;

    public ActivityLogStoreTests()
    {
        _store = new SqliteStore(_dir.Combine("appliance.db"), _clock);
        Write(s => s.InsertNetwork(new NetworkRecord("home", IPNetwork.Parse("10.20.0.0/24"), null, 51820, 1420, 20, 1, T0)));
    }

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private void Write(Action<IStoreSession> work) => _store.WriteAsync(s => { work(s); return 0; }).GetAwaiter().GetResult();

    private IReadOnlyList<ActivityRecord> Log(string? network = null) => _store.ReadAsync(s => s.ListActivity(network, null, ActivityLog.MaxPage)).GetAwaiter().GetResult();

    private static NodeRecord Node(string id, int octet) =>
        new(id, "home", "n-" + id, id, "pk" + id, IPAddress.Parse($"10.20.0.{octet}"), null, 51820, [], "", "", [], "hash", null, T0, null);

    [Fact]
    public void A_write_outside_any_scope_is_logged_only_when_members_must_hear_of_it()
    {
        Assert.Empty(Log()); // the set-up's network insert: no scope, no member change
        Write(s => s.InsertNode(Node("a", 2)));
        var entry = Assert.Single(Log());
        Assert.Equal((ActivityActorKind.System, "server", "home", "node n-a"), (entry.ActorKind, entry.Actor, entry.Network, entry.Summary));
        Assert.Equal(T0, entry.At);
    }

    [Fact]
    public void A_scope_gets_one_entry_even_over_two_writes_and_none_when_nothing_changed()
    {
        using (ActivityScope.Begin(ActivityActorKind.Console, "alice", "POST /api/v1/test"))
        {
            Write(s => s.FindNetwork("home"));
            Assert.Empty(Log());
            Write(s => s.InsertNode(Node("a", 2)));
            Write(s => s.InsertNode(Node("b", 3)));
        }
        var entry = Assert.Single(Log());
        Assert.Equal((ActivityActorKind.Console, "alice", "POST /api/v1/test"), (entry.ActorKind, entry.Actor, entry.Action));
        Assert.Equal("node n-a; node n-b", entry.Summary);
    }

    [Fact]
    public void A_reporting_node_is_logged_for_member_changes_only()
    {
        Write(s => s.InsertNode(Node("a", 2)));
        var before = Log().Count;
        using (ActivityScope.Begin(ActivityActorKind.Node, "a", "status report", meshChangesOnly: true))
        {
            Write(s => s.TouchNode("a", T0.AddMinutes(1))); // last seen: bookkeeping
            Assert.Equal(before, Log().Count);
            Write(s => s.UpdateNode(s.FindNode("a")! with { Endpoints = ["198.51.100.7:51820"] }));
        }
        var entry = Log()[0];
        Assert.Equal((ActivityActorKind.Node, "a", "status report", "node n-a"), (entry.ActorKind, entry.Actor, entry.Action, entry.Summary));
        Assert.Equal(before + 1, Log().Count);
    }

    [Fact]
    public void A_rolled_back_write_leaves_no_entry()
    {
        using (ActivityScope.Begin(ActivityActorKind.Token, "admin token", "DELETE /api/v1/nodes/a"))
        {
            Assert.Throws<InvalidOperationException>(() => Write(s =>
            {
                s.InsertNode(Node("a", 2));
                throw new InvalidOperationException("refused after the mutation");
            }));
        }
        Assert.Empty(Log());
    }

    [Fact]
    public void Entries_older_than_the_age_bound_are_dropped_by_the_next_entry()
    {
        Write(s => s.InsertNode(Node("a", 2)));
        _clock.Advance(ActivityLog.MaxAge - TimeSpan.FromMinutes(1));
        Write(s => s.InsertNode(Node("b", 3)));
        Assert.Equal(2, Log().Count);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Write(s => s.InsertNode(Node("c", 4)));
        Assert.Equal(["node n-c", "node n-b"], Log().Select(e => e.Summary));
    }

    [Fact]
    public async Task The_log_keeps_the_newest_entries_up_to_its_count_bound()
    {
        // Straight into the table (one transaction): the bound is the store's, whatever writes the entries.
        Write(s =>
        {
            var session = (SqlSession)s;
            for (var i = 0; i < ActivityLog.MaxEntries + 5; i++)
            {
                session.InsertActivity(T0, ActivityActorKind.System, "server", "bulk " + i, "home", "");
            }
        });
        var count = await _store.ReadAsync(s =>
        {
            var ids = new List<long>();
            long? before = null;
            while (s.ListActivity("home", before, ActivityLog.MaxPage) is { Count: > 0 } page)
            {
                ids.AddRange(page.Select(e => e.Id));
                before = page[^1].Id;
            }
            return ids;
        });
        Assert.Equal(ActivityLog.MaxEntries, count.Count);
        Assert.Equal("bulk " + (ActivityLog.MaxEntries + 4), Log()[0].Action);
    }

    [Fact]
    public async Task Pages_are_newest_first_and_filtered_by_network()
    {
        Write(s => s.InsertNetwork(new NetworkRecord("lab", IPNetwork.Parse("10.30.0.0/24"), null, 51820, 1420, 20, 1, T0)));
        Write(s => s.InsertNode(Node("a", 2)));
        Write(s => s.InsertNode(Node("lab1", 5) with { Network = "lab", Ipv4 = IPAddress.Parse("10.30.0.5") }));
        Write(s => s.InsertNode(Node("b", 3)));
        Assert.Equal(["node n-b", "node n-a"], Log("home").Select(e => e.Summary));
        Assert.Equal(["node n-lab1"], Log("lab").Select(e => e.Summary));
        var newest = Log()[0];
        var older = await _store.ReadAsync(s => s.ListActivity(null, newest.Id, 1));
        Assert.Equal("node n-lab1", Assert.Single(older).Summary);
    }
}
