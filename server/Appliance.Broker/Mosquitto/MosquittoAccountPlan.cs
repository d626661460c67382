namespace Appliance.Broker.Mosquitto;

/// <summary>
/// What the Mosquitto accounts should be, given what the files hold and which nodes the server's store knows.
/// Pure apart from salting a new hash for the server's own account.
/// </summary>
/// <param name="Users">The accounts to write: the server's, and every known node that still has a login.</param>
/// <param name="Removed">Accounts in the files with no node behind them (deleted while the server was down).</param>
/// <param name="NodesWithoutLogin">
/// Nodes in the store with no account in the files. Their Mosquitto hash cannot be rebuilt: the store holds only a
/// SHA-256 of the credential and Mosquitto needs its own PBKDF2 hash of the plaintext, which only the join saw.
/// </param>
public sealed record MosquittoAccountPlan(IReadOnlyList<MosquittoUser> Users, IReadOnlyList<string> Removed, IReadOnlyList<string> NodesWithoutLogin)
{
    /// <param name="current">The accounts in the files now.</param>
    /// <param name="nodeAcls">Every node the server knows: node id to the ACL the server gives it.</param>
    /// <param name="serverUser">The server's own account name.</param>
    /// <param name="serverPassword">Its password: the existing hash is kept when it still matches.</param>
    /// <param name="serverAcl">The ACL of the server's own account.</param>
    public static MosquittoAccountPlan Reconcile(
        IEnumerable<MosquittoUser> current, IReadOnlyDictionary<string, MqttTopicAcl> nodeAcls, string serverUser, string serverPassword, MqttTopicAcl serverAcl,
        int hashIterations = MosquittoPasswordHash.DefaultIterations)
    {
        var byName = current.ToDictionary(u => u.Name, StringComparer.Ordinal);
        var serverHash = byName.TryGetValue(serverUser, out var existing) && MosquittoPasswordHash.Verify(serverPassword, existing.PasswordHash)
            ? existing.PasswordHash
            : MosquittoPasswordHash.Create(serverPassword, hashIterations);
        var users = new List<MosquittoUser> { new(serverUser, serverHash, serverAcl) };
        var removed = new List<string>();
        foreach (var u in byName.Values.Where(u => u.Name != serverUser).OrderBy(u => u.Name, StringComparer.Ordinal))
        {
            if (nodeAcls.TryGetValue(u.Name, out var acl))
            {
                // The hash stays; the ACL is the server's, so a policy change reaches every node on the next start.
                users.Add(u with { Acl = acl });
            }
            else
            {
                removed.Add(u.Name);
            }
        }
        var missing = nodeAcls.Keys.Where(id => !byName.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        return new MosquittoAccountPlan(users, removed, missing);
    }
}
