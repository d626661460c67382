namespace Appliance.Broker.Mosquitto;

/// <summary>
/// Maps an <see cref="MqttTopicAcl"/> (the server's data) to the ACLs of one dynamic-security role. Pure.
/// </summary>
public static class MosquittoDynSecAcl
{
    public const string PublishClientSend = "publishClientSend";
    public const string PublishClientReceive = "publishClientReceive";
    public const string SubscribePattern = "subscribePattern";

    /// <summary>
    /// Each subscribe pattern may be subscribed to and received, each publish pattern sent; anything else received is
    /// denied by a last entry of lower priority. The plugin's defaults (Debian's <c>dynsec init</c>) already deny
    /// sending and subscribing, but allow receiving: the deny entry keeps a role confined even if a broker's defaults
    /// or a future subscription rule let more through.
    /// </summary>
    public static IReadOnlyList<MosquittoAclEntry> ForRole(MqttTopicAcl acl)
    {
        var entries = new List<MosquittoAclEntry>();
        foreach (var p in acl.SubscribePatterns.Distinct(StringComparer.Ordinal))
        {
            entries.Add(new MosquittoAclEntry(SubscribePattern, p, true, 1));
            entries.Add(new MosquittoAclEntry(PublishClientReceive, p, true, 1));
        }
        foreach (var p in acl.PublishPatterns.Distinct(StringComparer.Ordinal))
        {
            entries.Add(new MosquittoAclEntry(PublishClientSend, p, true, 1));
        }
        // The plugin keys a role's ACLs of one type by topic: an allow on "#" leaves no room for (or need of) the deny.
        if (!acl.SubscribePatterns.Contains("#", StringComparer.Ordinal))
        {
            entries.Add(new MosquittoAclEntry(PublishClientReceive, "#", false, 0));
        }
        return entries;
    }

    /// <summary>True when two ACL lists grant the same (order does not matter; the plugin keeps its own).</summary>
    public static bool Same(IEnumerable<MosquittoAclEntry> a, IEnumerable<MosquittoAclEntry> b) =>
        a.ToHashSet().SetEquals(b);
}
