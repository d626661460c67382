using System.Text;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>
/// What the activity log keeps and how it words a write: its bounds (the newest <see cref="MaxEntries"/> entries,
/// none older than <see cref="MaxAge"/>; pruned by each write that records one) and the summary of a write's changes
/// (pure: the changed records' kinds and names, never a credential, key or hash).
/// </summary>
public static class ActivityLog
{
    public const int MaxEntries = 10_000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(90);

    /// <summary>The longest summary stored; a write that touches more records is cut with "…".</summary>
    public const int MaxSummary = 1000;

    /// <summary>The most entries one page of the log returns.</summary>
    public const int MaxPage = 200;

    /// <summary>
    /// "node web-1; egress of web-1; ext client phone (removed)" for the records a write changed;
    /// <paramref name="nodeName"/> names a node the sets do not carry (a gateway whose role alone changed).
    /// </summary>
    public static string Describe(IReadOnlyList<NetworkChangeSet> changes, Func<string, string?> nodeName)
    {
        var parts = new List<string>();
        foreach (var set in changes)
        {
            if (set.NetworkRemoved)
            {
                parts.Add($"network {set.Network} (removed)");
                continue;
            }
            foreach (var change in set.Changes)
            {
                parts.Add(change.Kind switch
                {
                    ChangeKind.Network => $"network {set.Network} settings",
                    ChangeKind.Node => Named("node", change.Id, set.Nodes.GetValueOrDefault(change.Id)?.Name ?? nodeName(change.Id), set.Nodes),
                    ChangeKind.Ingress => Role("ingress", change.Id, set, nodeName),
                    ChangeKind.Egress => Role("egress", change.Id, set, nodeName),
                    ChangeKind.ExtClient => Named("ext client", change.Id, set.ExtClients.GetValueOrDefault(change.Id)?.Name, set.ExtClients),
                    ChangeKind.DnsEntries => $"DNS entries ({set.DnsEntries?.Count ?? 0})",
                    ChangeKind.Policy => set.Policy is { } p ? $"access policy (revision {p.Revision})" : "access policy (removed)",
                    _ => change.Kind.ToString(),
                });
            }
        }
        return Cut(string.Join("; ", parts));
    }

    /// <summary>The summary cut to <see cref="MaxSummary"/> characters.</summary>
    public static string Cut(string summary) => summary.Length <= MaxSummary ? summary : summary[..(MaxSummary - 1)] + "…";

    private static string Named<T>(string what, string id, string? name, IReadOnlyDictionary<string, T?> records)
        where T : class =>
        records.TryGetValue(id, out var r) && r is null ? $"{what} {id} (removed)" : $"{what} {name ?? id}";

    private static string Role(string role, string nodeId, NetworkChangeSet set, Func<string, string?> nodeName)
    {
        var node = set.Nodes.GetValueOrDefault(nodeId)?.Name ?? nodeName(nodeId) ?? nodeId;
        var removed = role == "ingress" ? set.Ingress.GetValueOrDefault(nodeId) is null : set.Egress.GetValueOrDefault(nodeId) is null;
        var text = new StringBuilder().Append(role).Append(" of ").Append(node);
        return (removed ? text.Append(" (removed)") : text).ToString();
    }

    // The one place the activity log is written (by either store, just before its commit): in the write's own
    // transaction, so an entry exists exactly when its change committed. A write in an actor's scope that changed any row is recorded (enrollment keys and accounts
    // included); a write outside any scope (then the server itself acted) or in a node's reporting scope only when
    // members must hear of it: a node's last-seen time or transfer counters are not activity.
    internal static void Record(SqlSession session, IReadOnlyList<NetworkChangeSet>? changes, bool wroteRows, TimeProvider clock)
    {
        var scope = Domain.ActivityScope.Current;
        if (scope is null || scope.MeshChangesOnly ? changes is null : !wroteRows)
        {
            return;
        }
        var described = changes is null ? string.Empty : ActivityLog.Describe(changes, id => session.FindNode(id)?.Name);
        var summary = ActivityLog.Cut(scope?.Note is { } note ? (described.Length == 0 ? note : $"{note}; {described}") : described);
        var network = changes is { Count: > 0 } ? changes[0].Network : scope?.Network;
        if (scope?.EntryId is { } entry)
        {
            session.AppendActivity(entry, network, summary);
            return;
        }
        var id = session.InsertActivity(clock.GetUtcNow(), scope?.Kind ?? Domain.ActivityActorKind.System, scope?.Actor ?? "server",
            scope?.Action ?? "mesh change", network, summary);
        if (scope is not null)
        {
            scope.EntryId = id;
        }
    }
}
