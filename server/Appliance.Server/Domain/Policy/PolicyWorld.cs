namespace Appliance.Server.Domain.Policy;

/// <summary>The records of one network a policy is evaluated against.</summary>
public sealed record PolicyWorld(
    NetworkRecord Network,
    IReadOnlyCollection<NodeRecord> Nodes,
    IReadOnlyDictionary<string, IngressRecord> Ingress,
    IReadOnlyDictionary<string, EgressRecord> Egress,
    IReadOnlyCollection<ExtClientRecord> ExtClients);
