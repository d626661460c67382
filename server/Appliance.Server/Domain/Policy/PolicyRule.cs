namespace Appliance.Server.Domain.Policy;

/// <summary>One allow rule: new connections from any of <see cref="From"/> to any of <see cref="To"/> on any of <see cref="Ports"/>.</summary>
public sealed record PolicyRule(IReadOnlyList<PolicySelector> From, IReadOnlyList<PolicySelector> To, IReadOnlyList<PolicyPort> Ports, int Line);
