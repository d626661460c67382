using System.Text;

namespace Appliance.Broker.Mosquitto;

/// <summary>Renders and parses Mosquitto's password_file and acl_file. Pure: strings in, strings out.</summary>
public static class MosquittoFiles
{
    public static string RenderPasswordFile(IEnumerable<MosquittoUser> users)
    {
        var sb = new StringBuilder();
        foreach (var u in users.OrderBy(u => u.Name, StringComparer.Ordinal))
        {
            Validate(u.Name);
            sb.Append(u.Name).Append(':').Append(u.PasswordHash).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// One <c>user</c> block per account. Mosquitto's "read" covers subscribing and receiving, "write" publishing;
    /// a topic allowed both ways becomes "readwrite".
    /// </summary>
    public static string RenderAclFile(IEnumerable<MosquittoUser> users)
    {
        var sb = new StringBuilder("# Written by Appliance MosquittoProvisioner; edits are overwritten.\n");
        foreach (var u in users.OrderBy(u => u.Name, StringComparer.Ordinal))
        {
            Validate(u.Name);
            sb.Append("\nuser ").Append(u.Name).Append('\n');
            var read = u.Acl.SubscribePatterns;
            var write = u.Acl.PublishPatterns;
            foreach (var t in read.Intersect(write, StringComparer.Ordinal))
            {
                sb.Append("topic readwrite ").Append(t).Append('\n');
            }
            foreach (var t in read.Except(write, StringComparer.Ordinal))
            {
                sb.Append("topic read ").Append(t).Append('\n');
            }
            foreach (var t in write.Except(read, StringComparer.Ordinal))
            {
                sb.Append("topic write ").Append(t).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>Reads back files this class rendered (unknown lines are ignored).</summary>
    public static List<MosquittoUser> Parse(string passwordFile, string aclFile)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in passwordFile.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                hashes[line[..colon]] = line[(colon + 1)..];
            }
        }
        var reads = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var writes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in aclFile.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["user", var name])
            {
                current = name;
                reads[name] = [];
                writes[name] = [];
            }
            else if (current is not null && parts is ["topic", var access, var topic])
            {
                if (access is "read" or "readwrite")
                {
                    reads[current].Add(topic);
                }
                if (access is "write" or "readwrite")
                {
                    writes[current].Add(topic);
                }
            }
        }
        return hashes
            .Select(kv => new MosquittoUser(kv.Key, kv.Value, new MqttTopicAcl(reads.GetValueOrDefault(kv.Key) ?? [], writes.GetValueOrDefault(kv.Key) ?? [])))
            .ToList();
    }

    // A user name ends up in "user:hash" and "user <name>" lines: keep it to one safe token.
    private static void Validate(string name)
    {
        if (name.Length == 0 || name.Any(c => c is ':' or ' ' or '\n' or '\r' or '\t' or '#' or '+'))
        {
            throw new ArgumentException("user name not usable in Mosquitto files: " + name);
        }
    }
}
