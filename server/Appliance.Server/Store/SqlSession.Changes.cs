using System.Globalization;

namespace Appliance.Server.Store;

// What a write session changed that members must be told: each mutator records its own changes (MarkChanged), the
// first change to a network bumps its version once for the whole write, and just before the commit the changed records
// are read back in the same transaction (CollectChanges) for the store to hand to its change sinks.
internal sealed partial class SqlSession
{
    private readonly Dictionary<string, NetworkChanges> _changes = new(StringComparer.Ordinal);

    private sealed class NetworkChanges(long version)
    {
        public long Version { get; } = version;
        public List<StoreChange> Ordered { get; } = [];
        public HashSet<StoreChange> Seen { get; } = [];
    }

    /// <summary>True when this write session recorded any change.</summary>
    internal bool HasChanges => _changes.Count > 0;

    public void MarkChanged(string network, StoreChange what)
    {
        var changes = Changed(network);
        if (changes.Seen.Add(what))
        {
            changes.Ordered.Add(what);
        }
    }

    // The network's entry, made on its first change: the version moves once per write, so the write's later reads (and
    // the records it returns) already see the new one.
    private NetworkChanges Changed(string network)
    {
        if (addresses is null)
        {
            throw new InvalidOperationException("changes are recorded in write sessions only");
        }
        if (!_changes.TryGetValue(network, out var changes))
        {
            using var cmd = Command("UPDATE networks SET version = version + 1 WHERE name = $n RETURNING version", ("$n", network));
            var bumped = cmd.ExecuteScalar();
            changes = new NetworkChanges(bumped is null or DBNull ? 0 : Convert.ToInt64(bumped, CultureInfo.InvariantCulture));
            _changes.Add(network, changes);
        }
        return changes;
    }

    /// <summary>The network a node belongs to, or null when there is no such node.</summary>
    private string? NetworkOfNode(string nodeId) =>
        Query("SELECT network FROM nodes WHERE id = $id", r => r.GetString(0), ("$id", nodeId)).FirstOrDefault();

    /// <summary>The change sets of this write: the changed records read back as they are now, inside its transaction.</summary>
    internal IReadOnlyList<NetworkChangeSet> CollectChanges()
    {
        var sets = new List<NetworkChangeSet>(_changes.Count);
        foreach (var (network, changes) in _changes)
        {
            sets.Add(ReadChangeSet(network, changes.Version, changes.Ordered, labelled: false));
        }
        return sets;
    }

    /// <summary>
    /// A change set of <paramref name="network"/> with the records <paramref name="ordered"/> names as this session sees
    /// them: in a write, the write's own (at the network's version now); for the change feed (<paramref name="labelled"/>),
    /// the records as of the reader's snapshot, which may be later than the write, labelled with the write's
    /// <paramref name="version"/> so that a view applies the sets in their order (a later write's records then arrive
    /// early, and again with their own version: the end state is the same).
    /// </summary>
    internal NetworkChangeSet ReadChangeSet(string network, long version, IReadOnlyList<StoreChange> ordered, bool labelled)
    {
        var settings = FindNetwork(network);
        if (labelled && settings is not null)
        {
            settings = settings with { Version = version };
        }
        var nodes = new Dictionary<string, Domain.NodeRecord?>(StringComparer.Ordinal);
        var ingress = new Dictionary<string, Domain.IngressRecord?>(StringComparer.Ordinal);
        var egress = new Dictionary<string, Domain.EgressRecord?>(StringComparer.Ordinal);
        var clients = new Dictionary<string, Domain.ExtClientRecord?>(StringComparer.Ordinal);
        IReadOnlyList<Domain.DnsEntryRecord>? dns = null;
        Domain.PolicyRecord? policy = null;
        foreach (var change in ordered)
        {
            switch (change.Kind)
            {
                case ChangeKind.Node:
                    nodes[change.Id] = settings is null ? null : FindNode(change.Id);
                    break;
                case ChangeKind.Ingress:
                    ingress[change.Id] = settings is null ? null : FindIngress(change.Id);
                    break;
                case ChangeKind.Egress:
                    egress[change.Id] = settings is null ? null : FindEgress(change.Id);
                    break;
                case ChangeKind.ExtClient:
                    clients[change.Id] = settings is null ? null : FindExtClient(change.Id);
                    break;
                case ChangeKind.DnsEntries:
                    dns = settings is null ? [] : ListDnsEntries(network);
                    break;
                case ChangeKind.Policy:
                    policy = settings is null ? null : FindPolicy(network);
                    break;
            }
        }
        return new NetworkChangeSet
        {
            Network = network,
            Version = settings?.Version ?? version,
            Settings = settings,
            Changes = ordered,
            Nodes = nodes,
            Ingress = ingress,
            Egress = egress,
            ExtClients = clients,
            DnsEntries = dns,
            Policy = policy,
        };
    }
}
