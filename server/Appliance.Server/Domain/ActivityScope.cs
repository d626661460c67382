namespace Appliance.Server.Domain;

/// <summary>
/// Who is acting, and what they asked for, in the current asynchronous flow: set once by the edge that knows the
/// principal (the API for a request, the CLI for a local command, a background service for itself) and read by the
/// store when it commits a write, which records one activity entry per scope. Callers in between pass nothing.
/// </summary>
public sealed class ActivityScope
{
    /// <summary>The longest actor name and action kept (longer ones are cut; they come from names and paths).</summary>
    public const int MaxText = 200;

    private static readonly AsyncLocal<ActivityScope?> Ambient = new();

    private ActivityScope(ActivityActorKind kind, string actor, string action, bool meshChangesOnly)
    {
        MeshChangesOnly = meshChangesOnly;
        Kind = kind;
        Actor = Cut(actor);
        Action = Cut(action);
    }

    /// <summary>The scope of the current flow, or null when no edge set one.</summary>
    public static ActivityScope? Current => Ambient.Value;

    public ActivityActorKind Kind { get; }

    /// <summary>The actor's name: an account, a node, a client; never a credential.</summary>
    public string Actor { get; private set; }

    /// <summary>What was asked for: "PATCH /api/v1/nodes/3f2a…", "admin add alice", "ext client expiry".</summary>
    public string Action { get; }

    /// <summary>The network the change is about when the store cannot tell from what it changed (a new network has no members to tell).</summary>
    public string? Network { get; private set; }

    /// <summary>What the change was, in words, when no member record changed (a new network, an enrollment key); null otherwise.</summary>
    public string? Note { get; private set; }

    /// <summary>The activity entry the store recorded for this scope (a second write in the same scope adds to it).</summary>
    public long? EntryId { get; set; }

    /// <summary>
    /// True when only writes that change what members see are activity here (a node's reports: its last-seen time and
    /// counters change with each one); otherwise any write that changes a row is.
    /// </summary>
    public bool MeshChangesOnly { get; }

    /// <summary>Makes <paramref name="kind"/>/<paramref name="actor"/> the actor of this flow until the returned handle is disposed.</summary>
    public static IDisposable Begin(ActivityActorKind kind, string actor, string action, bool meshChangesOnly = false)
    {
        var previous = Ambient.Value;
        Ambient.Value = new ActivityScope(kind, actor, action, meshChangesOnly);
        return new Restore(previous);
    }

    /// <summary>Names the actor once it is known (a joining node's name is chosen inside the join's write).</summary>
    public void NameActor(string actor) => Actor = Cut(actor);

    /// <summary>Names the network the change is about (when the store records no member change in it).</summary>
    public void About(string network) => Network = Cut(network);

    /// <summary>Says what the change was when the store sees no member record change (never a secret: names and ids).</summary>
    public void Describe(string note) => Note = Cut(note);

    private static string Cut(string s) => s.Length <= MaxText ? s : s[..MaxText];

    private sealed class Restore(ActivityScope? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
