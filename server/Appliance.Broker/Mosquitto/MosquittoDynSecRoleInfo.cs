namespace Appliance.Broker.Mosquitto;

/// <summary>A role as the plugin lists it: its name, text name and ACLs.</summary>
public sealed record MosquittoDynSecRoleInfo(string Name, string? TextName, IReadOnlyList<MosquittoAclEntry> Acls);
