namespace Appliance.Broker.Mosquitto;

/// <summary>
/// What to send Mosquitto's dynamic-security plugin so that its accounts match the server's: the server's own
/// login, and one login per known node, each with a role of the same name holding that account's ACLs. Pure.
/// </summary>
/// <param name="Commands">The commands, in order (an empty list when everything already matches).</param>
/// <param name="Removed">Managed logins whose node is gone (deleted while the server was down): deleted with their roles.</param>
/// <param name="NodesWithoutLogin">
/// Known nodes with no login. Their login cannot be rebuilt: the store holds only a SHA-256 of the credential, and
/// the plaintext that the plugin hashes existed only during the join.
/// </param>
/// <param name="RolesRewritten">Managed roles whose ACLs differed from the server's (or that were missing) and are set again.</param>
public sealed record MosquittoAccountPlan(
    IReadOnlyList<MosquittoDynSecCommand> Commands, IReadOnlyList<string> Removed, IReadOnlyList<string> NodesWithoutLogin, IReadOnlyList<string> RolesRewritten)
{
    /// <param name="clients">Every client the plugin lists.</param>
    /// <param name="roles">Every role the plugin lists, with its ACLs.</param>
    /// <param name="accounts">The node logins that should exist: name to ACL.</param>
    /// <param name="marker">The text name of every login and role made for a node: only those are ever deleted.</param>
    /// <param name="serverUser">The server's own login (its role has the same name).</param>
    /// <param name="serverPassword">Its password, set at every reconcile (the plugin cannot say whether it still matches).</param>
    /// <param name="serverAcl">The ACL of the server's own login.</param>
    public static MosquittoAccountPlan Reconcile(
        IReadOnlyList<MosquittoDynSecClientInfo> clients, IReadOnlyList<MosquittoDynSecRoleInfo> roles, IReadOnlyDictionary<string, MqttTopicAcl> accounts,
        string marker, string serverUser, string serverPassword, MqttTopicAcl serverAcl)
    {
        var clientsByName = clients.ToDictionary(c => c.Username, StringComparer.Ordinal);
        var rolesByName = roles.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var commands = new List<MosquittoDynSecCommand>();
        var rewritten = new List<string>();

        // The server's own login first: it connects right after the reconcile.
        var serverEntries = MosquittoDynSecAcl.ForRole(serverAcl);
        EnsureRole(serverUser, serverEntries, textName: null);
        if (clientsByName.TryGetValue(serverUser, out var server))
        {
            commands.Add(MosquittoDynSecCommands.SetClientPassword(serverUser, serverPassword));
            if (server.Roles is not [var only] || only != serverUser)
            {
                commands.Add(MosquittoDynSecCommands.SetClientRoles(serverUser, serverUser));
            }
        }
        else
        {
            commands.Add(MosquittoDynSecCommands.CreateClient(serverUser, serverPassword, serverUser));
        }

        var removed = new List<string>();
        foreach (var c in clients.Where(c => c.TextName == marker && c.Username != serverUser && !accounts.ContainsKey(c.Username)).OrderBy(c => c.Username, StringComparer.Ordinal))
        {
            removed.Add(c.Username);
            commands.Add(MosquittoDynSecCommands.DeleteClient(c.Username));
            if (rolesByName.ContainsKey(c.Username))
            {
                commands.Add(MosquittoDynSecCommands.DeleteRole(c.Username));
            }
        }
        // A role left without its login (a join that stopped between the two commands) goes too.
        foreach (var r in roles.Where(r => r.TextName == marker && r.Name != serverUser && !accounts.ContainsKey(r.Name) && !clientsByName.ContainsKey(r.Name)).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            commands.Add(MosquittoDynSecCommands.DeleteRole(r.Name));
        }

        var withoutLogin = new List<string>();
        foreach (var (name, acl) in accounts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!clientsByName.TryGetValue(name, out var client))
            {
                withoutLogin.Add(name);
                continue;
            }
            // The ACLs are the server's: a change of the topic scheme or of a node's networks reaches it here.
            EnsureRole(name, MosquittoDynSecAcl.ForRole(acl), marker);
            if (client.Roles is not [var only] || only != name)
            {
                commands.Add(MosquittoDynSecCommands.SetClientRoles(name, name));
            }
        }
        return new MosquittoAccountPlan(commands, removed, withoutLogin, rewritten);

        void EnsureRole(string name, IReadOnlyList<MosquittoAclEntry> entries, string? textName)
        {
            if (!rolesByName.TryGetValue(name, out var role))
            {
                rewritten.Add(name);
                commands.Add(MosquittoDynSecCommands.CreateRole(name, entries, textName));
            }
            else if (!MosquittoDynSecAcl.Same(role.Acls, entries))
            {
                rewritten.Add(name);
                commands.Add(MosquittoDynSecCommands.ModifyRole(name, entries));
            }
        }
    }
}
