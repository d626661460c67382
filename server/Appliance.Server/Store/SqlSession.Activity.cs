using Appliance.Server.Domain;
using System.Data.Common;

namespace Appliance.Server.Store;

/// <summary>The activity log (table <c>activity</c>): written by the store itself as a write commits, read in pages.</summary>
internal sealed partial class SqlSession
{
    private const string ActivityColumns = "id, at, actor_kind, actor, action, network, summary";

    private static ActivityRecord MapActivity(DbDataReader r) => new(
        r.GetInt64(0), ParseTime(r.GetString(1)),
        Enum.TryParse<ActivityActorKind>(r.GetString(2), out var kind) ? kind : ActivityActorKind.System,
        r.GetString(3), r.GetString(4), NullableString(r, 5), r.GetString(6));

    public IReadOnlyList<ActivityRecord> ListActivity(string? network, long? before, int limit) => Query(
        $"SELECT {ActivityColumns} FROM activity WHERE ($n IS NULL OR network = $n) AND ($b IS NULL OR id < $b) ORDER BY id DESC LIMIT $l",
        MapActivity, ("$n", network), ("$b", before), ("$l", limit));

    /// <summary>
    /// Rows inserted, updated or deleted so far (SQLite: on this connection, total_changes(); PostgreSQL: in this
    /// transaction, from pg_stat_xact_user_tables): compared before and after a write's work.
    /// </summary>
    internal long TotalChanges()
    {
        using var cmd = Command(dialect.RowsChangedSql);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Adds an entry and drops the ones past the log's bounds (<see cref="ActivityLog"/>); returns its id.</summary>
    internal long InsertActivity(DateTimeOffset at, ActivityActorKind kind, string actor, string action, string? network, string summary)
    {
        using var cmd = Command(
            "INSERT INTO activity (at, actor_kind, actor, action, network, summary) VALUES ($at, $k, $a, $w, $n, $s) RETURNING id",
            ("$at", Time(at)), ("$k", kind.ToString()), ("$a", actor), ("$w", action), ("$n", network), ("$s", summary));
        var id = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        Execute("DELETE FROM activity WHERE id <= $oldest OR at < $cutoff",
            ("$oldest", id - ActivityLog.MaxEntries), ("$cutoff", Time(at - ActivityLog.MaxAge)));
        return id;
    }

    /// <summary>Adds a later write's summary to an entry its scope already recorded.</summary>
    internal void AppendActivity(long id, string? network, string summary) => Execute(
        "UPDATE activity SET summary = substr(summary || '; ' || $s, 1, $max), network = COALESCE(network, $n) WHERE id = $id",
        ("$s", summary), ("$max", ActivityLog.MaxSummary), ("$n", network), ("$id", id));
}
