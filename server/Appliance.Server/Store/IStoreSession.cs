using System.Net;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>Data operations available inside one store session (transaction).</summary>
public interface IStoreSession
{
    string? GetSetting(string key);
    void SetSetting(string key, string value);

    IReadOnlyList<NetworkRecord> ListNetworks();
    NetworkRecord? FindNetwork(string name);
    void InsertNetwork(NetworkRecord network);
    void UpdateNetwork(NetworkRecord network);
    void DeleteNetwork(string name);
    /// <summary>Increments the network's version and returns the new value.</summary>
    long BumpNetworkVersion(string name);

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
    /// <summary>The names taken in a network (cheap: no full rows).</summary>
    HashSet<string> NodeNames(string network);
    bool PublicKeyInUse(string network, string publicKey);
    void InsertNode(NodeRecord node);
    void UpdateNode(NodeRecord node);
    void DeleteNode(string id);
    void TouchNode(string id, DateTimeOffset lastSeen);

    /// <summary>Keeps addresses of a deleted node from being handed out again until <paramref name="until"/>.</summary>
    void HoldAddresses(string network, IEnumerable<IPAddress> addresses, DateTimeOffset until);
    /// <summary>Addresses in use by nodes or held after a delete (holds that ended before <paramref name="now"/> excluded).</summary>
    HashSet<IPAddress> TakenAddresses(string network, DateTimeOffset now);
}
