using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>
/// What one committed write changed in one network, with the changed records as committed (read in the write's own
/// transaction just before it committed, so they are exactly the state at <see cref="Version"/>). A record that is
/// null in its map was removed. Made by the store, never by callers: a write session records every change it makes
/// (<see cref="IStoreSession.MarkChanged"/>), bumps the network's version once, and on commit hands the sets to the
/// <see cref="IStoreChangeSink"/>, in commit order.
/// </summary>
public sealed record NetworkChangeSet
{
    public required string Network { get; init; }

    /// <summary>The network's version after the write (bumped once per write that changed anything in it).</summary>
    public required long Version { get; init; }

    /// <summary>The network's record as committed; null when the write deleted the network.</summary>
    public required NetworkRecord? Settings { get; init; }

    /// <summary>Every change the write recorded in this network, each once, in the order first recorded.</summary>
    public required IReadOnlyList<StoreChange> Changes { get; init; }

    /// <summary>The nodes changed (<see cref="ChangeKind.Node"/>): id → the committed record, or null when removed.</summary>
    public IReadOnlyDictionary<string, NodeRecord?> Nodes { get; init; } = Empty<NodeRecord>.Map;

    /// <summary>The ingress roles changed: node id → the committed role, or null when removed.</summary>
    public IReadOnlyDictionary<string, IngressRecord?> Ingress { get; init; } = Empty<IngressRecord>.Map;

    /// <summary>The egress roles changed: node id → the committed role, or null when removed.</summary>
    public IReadOnlyDictionary<string, EgressRecord?> Egress { get; init; } = Empty<EgressRecord>.Map;

    /// <summary>The ext clients changed: client id → the committed record, or null when removed.</summary>
    public IReadOnlyDictionary<string, ExtClientRecord?> ExtClients { get; init; } = Empty<ExtClientRecord>.Map;

    /// <summary>The network's whole list of custom DNS entries when they changed (<see cref="ChangeKind.DnsEntries"/>), else null.</summary>
    public IReadOnlyList<DnsEntryRecord>? DnsEntries { get; init; }

    /// <summary>The network's access policy as committed when it changed (<see cref="ChangeKind.Policy"/>); null when it was removed or did not change.</summary>
    public PolicyRecord? Policy { get; init; }

    /// <summary>True when the write deleted the network.</summary>
    public bool NetworkRemoved => Settings is null;

    private static class Empty<T>
        where T : class
    {
        public static readonly IReadOnlyDictionary<string, T?> Map = new Dictionary<string, T?>(StringComparer.Ordinal);
    }
}
