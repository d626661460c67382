namespace Appliance.Server.Domain.Policy;

/// <summary>
/// A network's access policy, parsed (<see cref="AccessPolicyParser"/>): named groups of selectors, allow rules and
/// the document's own tests. Deny by default: once a network has a policy, only what a rule allows is allowed.
/// </summary>
public sealed record AccessPolicy(
    IReadOnlyDictionary<string, IReadOnlyList<PolicySelector>> Groups,
    IReadOnlyList<PolicyRule> Rules,
    IReadOnlyList<PolicyTest> Tests)
{
    /// <summary>Every selector of the document (rules, groups and tests), for the checks against the network's names.</summary>
    public IEnumerable<PolicySelector> AllSelectors =>
        Groups.Values.SelectMany(g => g)
            .Concat(Rules.SelectMany(r => r.From.Concat(r.To)))
            .Concat(Tests.SelectMany(t => new[] { t.From, t.To }));
}
