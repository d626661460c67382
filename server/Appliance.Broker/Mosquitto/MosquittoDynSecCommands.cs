using System.Text.Json.Nodes;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// Builds the dynamic-security plugin's commands (mosquitto.org/documentation/dynamic-security, Mosquitto 2.0). Pure.
/// Names are checked here, before anything is sent: the plugin would take an empty or oversized name as it comes.
/// </summary>
public static class MosquittoDynSecCommands
{
    /// <summary>Longest user or role name accepted (MQTT allows 65535; ours are ids and configured names).</summary>
    public const int MaxNameLength = 256;

    /// <summary>Longest password accepted.</summary>
    public const int MaxPasswordLength = 1024;

    public static MosquittoDynSecCommand CreateRole(string role, IReadOnlyList<MosquittoAclEntry> acls, string? textName = null)
    {
        var fields = new JsonObject { ["rolename"] = Name(role, "role"), ["acls"] = Acls(acls) };
        if (textName is not null)
        {
            fields["textname"] = textName;
        }
        return new("createRole", fields);
    }

    /// <summary>Replaces a role's ACLs as a whole (the plugin checks ACLs live, so connected clients get them at once).</summary>
    public static MosquittoDynSecCommand ModifyRole(string role, IReadOnlyList<MosquittoAclEntry> acls) =>
        new("modifyRole", new JsonObject { ["rolename"] = Name(role, "role"), ["acls"] = Acls(acls) });

    public static MosquittoDynSecCommand DeleteRole(string role) => new("deleteRole", new JsonObject { ["rolename"] = Name(role, "role") });

    /// <summary>A client (a login) with one role. The plugin hashes the password itself (PBKDF2-SHA512).</summary>
    public static MosquittoDynSecCommand CreateClient(string user, string password, string role, string? textName = null)
    {
        var fields = new JsonObject
        {
            ["username"] = Name(user, "user"),
            ["password"] = Password(password),
            ["roles"] = new JsonArray(new JsonObject { ["rolename"] = Name(role, "role") }),
        };
        if (textName is not null)
        {
            fields["textname"] = textName;
        }
        return new("createClient", fields);
    }

    /// <summary>Removes a login; the plugin also disconnects the client if it is connected.</summary>
    public static MosquittoDynSecCommand DeleteClient(string user) => new("deleteClient", new JsonObject { ["username"] = Name(user, "user") });

    /// <summary>A new password (the plugin disconnects the client, which must log in with it).</summary>
    public static MosquittoDynSecCommand SetClientPassword(string user, string password) =>
        new("setClientPassword", new JsonObject { ["username"] = Name(user, "user"), ["password"] = Password(password) });

    /// <summary>Gives a client exactly these roles.</summary>
    public static MosquittoDynSecCommand SetClientRoles(string user, string role) =>
        new("modifyClient", new JsonObject { ["username"] = Name(user, "user"), ["roles"] = new JsonArray(new JsonObject { ["rolename"] = Name(role, "role") }) });

    /// <summary>One page of clients with their text name and roles.</summary>
    public static MosquittoDynSecCommand ListClients(int count, int offset) =>
        new("listClients", new JsonObject { ["verbose"] = true, ["count"] = Page(count), ["offset"] = Math.Max(0, offset) });

    /// <summary>One page of roles with their ACLs.</summary>
    public static MosquittoDynSecCommand ListRoles(int count, int offset) =>
        new("listRoles", new JsonObject { ["verbose"] = true, ["count"] = Page(count), ["offset"] = Math.Max(0, offset) });

    private static JsonArray Acls(IReadOnlyList<MosquittoAclEntry> acls)
    {
        var array = new JsonArray();
        foreach (var a in acls)
        {
            array.Add(new JsonObject { ["acltype"] = a.Type, ["topic"] = a.Topic, ["priority"] = a.Priority, ["allow"] = a.Allow });
        }
        return array;
    }

    private static string Name(string name, string what) =>
        name.Length is > 0 and <= MaxNameLength && !name.Any(char.IsControl)
            ? name
            : throw new ArgumentException($"{what} name for Mosquitto must be 1-{MaxNameLength} printable characters: '{name}'");

    private static string Password(string password) =>
        password.Length is > 0 and <= MaxPasswordLength
            ? password
            : throw new ArgumentException($"a Mosquitto password must be 1-{MaxPasswordLength} characters");

    private static int Page(int count) =>
        count is > 0 and <= 10_000 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "a page is 1-10000 entries");
}
