namespace Appliance.Server.Store;

// The replicas' change feed (PostgreSQL, migration 9): a write's rows go into `changes` in its own transaction, so a
// change is in the feed exactly when it is committed. Writes are serialized (write_sequence), so the rows' sequence is
// their commit order: a reader never sees a later row before an earlier one commits.
internal sealed partial class SqlSession
{
    /// <summary>The notification channel every replica listens on.</summary>
    internal const string FeedChannel = "appliance_changes";

    /// <summary>
    /// Records past this many in one network's set are not listed: the row asks for the network to be read whole
    /// (a <see cref="ChangeKind.Network"/> change), which is what a publisher does for such a change anyway.
    /// </summary>
    internal const int MaxFeedChanges = 1000;

    /// <summary>Writes this write's feed rows and notifies the listeners (both only if it commits).</summary>
    internal void WriteFeed(IReadOnlyList<NetworkChangeSet>? changes, DateTimeOffset now)
    {
        var wrote = false;
        foreach (var set in changes ?? [])
        {
            IReadOnlyList<string> kinds = set.Changes.Count > MaxFeedChanges
                ? [Encode(new StoreChange(ChangeKind.Network, string.Empty))]
                : [.. set.Changes.Select(Encode)];
            InsertFeedRow(set.Network, set.Version, kinds, now);
            wrote = true;
        }
        if (InsertedSigningKey is { } sequence)
        {
            // Network '' is a rotation of the signing key; its version is the new key's place in the chain.
            InsertFeedRow(string.Empty, sequence, [], now);
            wrote = true;
        }
        if (wrote)
        {
            Execute("SELECT pg_notify($c, '')", ("$c", FeedChannel));
        }
    }

    private void InsertFeedRow(string network, long version, IReadOnlyList<string> kinds, DateTimeOffset now) =>
        Execute("INSERT INTO changes (network, version, kinds, committed_at) VALUES ($n, $v, $k, $t)",
            ("$n", network), ("$v", version), ("$k", List(kinds)), ("$t", Time(now)));

    /// <summary>Feed rows after <paramref name="after"/>, in order, each network's records as this (snapshot) session sees them.</summary>
    internal List<ChangeFeedEntry> ReadFeed(long after, int max)
    {
        var rows = Query("SELECT seq, network, version, kinds, committed_at FROM changes WHERE seq > $a ORDER BY seq LIMIT $m",
            r => (Seq: r.GetInt64(0), Network: r.GetString(1), Version: r.GetInt64(2), Kinds: r.GetString(3), At: r.GetString(4)),
            ("$a", after), ("$m", max));
        var entries = new List<ChangeFeedEntry>(rows.Count);
        foreach (var row in rows)
        {
            var at = ParseTime(row.At);
            if (row.Network.Length == 0)
            {
                entries.Add(new ChangeFeedEntry(row.Seq, null, row.Version, at));
                continue;
            }
            var changes = ParseList(row.Kinds).Select(Decode).ToList();
            entries.Add(new ChangeFeedEntry(row.Seq, ReadChangeSet(row.Network, row.Version, changes, labelled: true), null, at));
        }
        return entries;
    }

    /// <summary>The published position and the versions members were told.</summary>
    internal ChangeFeedCursor ReadFeedCursor()
    {
        var seq = Query("SELECT seq FROM changes_published WHERE id = 1", r => r.GetInt64(0)).FirstOrDefault();
        var versions = Query("SELECT network, version FROM published_versions", r => (r.GetString(0), r.GetInt64(1)))
            .ToDictionary(v => v.Item1, v => v.Item2, StringComparer.Ordinal);
        return new ChangeFeedCursor(seq, versions);
    }

    internal void RecordFeedPublished(long sequence, IReadOnlyDictionary<string, long> versions, int keptRows)
    {
        Execute("UPDATE changes_published SET seq = $s WHERE id = 1 AND seq < $s", ("$s", sequence));
        foreach (var (network, version) in versions)
        {
            Execute("INSERT INTO published_versions (network, version) VALUES ($n, $v) ON CONFLICT (network) DO UPDATE SET version = excluded.version",
                ("$n", network), ("$v", version));
        }
        // Bounded: published rows beyond the last few are of no use to anyone (a taker-over starts after the cursor).
        Execute("DELETE FROM changes WHERE seq <= $s", ("$s", sequence - keptRows));
        Execute("DELETE FROM published_versions WHERE network NOT IN (SELECT name FROM networks)");
    }

    private static string Encode(StoreChange change) => $"{change.Kind}/{change.Id}";

    private static StoreChange Decode(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Enum.TryParse<ChangeKind>(text.AsSpan(0, slash), out var kind))
        {
            throw new InvalidOperationException($"the change feed has a change this server does not know: '{text}' (a newer server wrote it?)");
        }
        return new StoreChange(kind, text[(slash + 1)..]);
    }

}
