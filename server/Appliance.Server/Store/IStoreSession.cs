using System.Net;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>Data operations available inside one store session (transaction).</summary>
public interface IStoreSession
{
    string? GetSetting(string key);
    void SetSetting(string key, string value);

    /// <summary>The web console's accounts, by name.</summary>
    IReadOnlyList<AdminAccountRecord> ListAdminAccounts();
    AdminAccountRecord? FindAdminAccount(string name);
    /// <summary>Adds the account or replaces its password hash and change time.</summary>
    void UpsertAdminAccount(AdminAccountRecord account);
    /// <summary>False when there was no such account.</summary>
    bool DeleteAdminAccount(string name);

    /// <summary>The activity log, newest first: entries of <paramref name="network"/> (all when null) with ids below <paramref name="before"/> (all when null), at most <paramref name="limit"/>.</summary>
    IReadOnlyList<ActivityRecord> ListActivity(string? network, long? before, int limit);

    /// <summary>True when any network has a node (a node knows the signing key: it must not change silently).</summary>
    bool AnyNodes();

    /// <summary>The server's signing keys, oldest first: the last is the one in use; each later one has its announcement.</summary>
    IReadOnlyList<SigningKeyRecord> ListSigningKeys();
    void InsertSigningKey(SigningKeyRecord key);
    /// <summary>Forgets the chain (only when no node knows any of its keys).</summary>
    void DeleteSigningKeys();

    IReadOnlyList<NetworkRecord> ListNetworks();
    NetworkRecord? FindNetwork(string name);
    void InsertNetwork(NetworkRecord network);
    void UpdateNetwork(NetworkRecord network);
    void DeleteNetwork(string name);
    /// <summary>
    /// Records that this write changed something members of <paramref name="network"/> must be told. Every mutator
    /// below records its own changes; the first change to a network moves its version (once per write). On commit the
    /// store hands the changed records to its <see cref="IStoreChangeSink"/>s. Write sessions only.
    /// </summary>
    void MarkChanged(string network, StoreChange what);

    IReadOnlyList<EnrollmentKeyRecord> ListEnrollmentKeys();
    EnrollmentKeyRecord? FindEnrollmentKey(string id);
    EnrollmentKeyRecord? FindEnrollmentKeyBySecretHash(string secretHash);
    void InsertEnrollmentKey(EnrollmentKeyRecord key);
    bool DeleteEnrollmentKey(string id);
    /// <summary>Takes one use of a limited key; false when none is left. Unlimited keys always succeed.</summary>
    bool TryConsumeEnrollmentKeyUse(string id);
    /// <summary>Sets a key's network list (after a network it named was deleted).</summary>
    void SetEnrollmentKeyNetworks(string id, IReadOnlyList<string> networks);

    IReadOnlyList<NodeRecord> ListNodes(string? network);
    NodeRecord? FindNode(string id);
    int CountNodes(string network);
    /// <summary>
    /// The names taken in a network (cheap: no full rows): nodes, ext clients and custom DNS entries share one
    /// namespace, since each becomes a name in the network's zone.
    /// </summary>
    HashSet<string> NodeNames(string network);
    /// <summary>
    /// The names of <see cref="NodeNames"/> that are <paramref name="label"/> or start with "label-" (the candidates
    /// a unique name is picked from): an index range instead of every name in the network.
    /// </summary>
    HashSet<string> NamesLike(string network, string label);
    /// <summary>True when a node or an ext client of the network has this WireGuard public key.</summary>
    bool PublicKeyInUse(string network, string publicKey);
    void InsertNode(NodeRecord node);
    void UpdateNode(NodeRecord node);
    void DeleteNode(string id);
    void TouchNode(string id, DateTimeOffset lastSeen);

    /// <summary>Keeps addresses of a deleted node from being handed out again until <paramref name="until"/>.</summary>
    void HoldAddresses(string network, IEnumerable<IPAddress> addresses, DateTimeOffset until);
    /// <summary>
    /// The lowest host address of <paramref name="range"/> that no node or ext client of the network uses and no hold
    /// keeps back (holds that ended at or before <paramref name="now"/> are over). Nothing is reserved: the address is
    /// taken when a node or ext client with it is inserted in this session. O(log N): write sessions only.
    /// </summary>
    /// <exception cref="Ipam.IpamExhaustedException">Every host address of the range is taken.</exception>
    IPAddress NextFreeAddress(string network, IPNetwork range, DateTimeOffset now);

    IReadOnlyList<IngressRecord> ListIngress(string network);
    IngressRecord? FindIngress(string nodeId);
    /// <summary>Inserts or replaces the node's ingress role.</summary>
    void UpsertIngress(IngressRecord ingress);
    bool DeleteIngress(string nodeId);

    IReadOnlyList<EgressRecord> ListEgress(string network);
    EgressRecord? FindEgress(string nodeId);
    /// <summary>Inserts or replaces the node's egress role.</summary>
    void UpsertEgress(EgressRecord egress);
    bool DeleteEgress(string nodeId);
    /// <summary>Clears the internet gateway of every node that sends its traffic through <paramref name="gatewayId"/>; returns how many.</summary>
    int ClearInternetGateway(string gatewayId);

    /// <summary>A network's ext clients (null: every network), ordered by name.</summary>
    IReadOnlyList<ExtClientRecord> ListExtClients(string? network);
    IReadOnlyList<ExtClientRecord> ListExtClientsOfGateway(string gatewayId);
    ExtClientRecord? FindExtClient(string id);
    void InsertExtClient(ExtClientRecord client);
    /// <summary>Writes the client's settings (name, enabled, expiry and its published flag); counters are left alone.</summary>
    void UpdateExtClient(ExtClientRecord client);
    void SetExtClientCounters(string id, long rxBytes, long txBytes, DateTimeOffset? lastHandshake);
    bool DeleteExtClient(string id);
    /// <summary>Clients whose expiry passed (at or before <paramref name="now"/>) without a version bump yet.</summary>
    IReadOnlyList<ExtClientRecord> ListUnpublishedExpiries(DateTimeOffset now);
    /// <summary>The earliest expiry still to be published, or null.</summary>
    DateTimeOffset? NextUnpublishedExpiry();

    /// <summary>The network's access policy, or null when it has none (everything is allowed).</summary>
    PolicyRecord? FindPolicy(string network);
    /// <summary>Sets the network's policy text (its revision moves by one); returns the stored record.</summary>
    PolicyRecord SetPolicy(string network, string text, DateTimeOffset now);
    /// <summary>Removes the network's policy; false when it had none.</summary>
    bool DeletePolicy(string network);

    IReadOnlyList<DnsEntryRecord> ListDnsEntries(string network);
    void InsertDnsEntry(DnsEntryRecord entry);
    bool DeleteDnsEntry(string network, string id);
}
