namespace Appliance.Broker.Mosquitto;

/// <summary>
/// One ACL of a dynamic-security role: <paramref name="Type"/> is the plugin's acltype (publishClientSend,
/// publishClientReceive, subscribePattern...), matched against <paramref name="Topic"/>; entries of higher
/// <paramref name="Priority"/> are checked first and the first match decides.
/// </summary>
public sealed record MosquittoAclEntry(string Type, string Topic, bool Allow, int Priority);
