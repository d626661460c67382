namespace Appliance.Server.Domain.Policy;

/// <summary>
/// One assertion of a policy document about itself: connections from <see cref="From"/> to <see cref="To"/> on every
/// port of <see cref="Accept"/> are allowed, and on no port of <see cref="Deny"/>. A policy whose tests fail is refused.
/// </summary>
public sealed record PolicyTest(PolicySelector From, PolicySelector To, IReadOnlyList<PolicyPort> Accept, IReadOnlyList<PolicyPort> Deny, int Line)
{
    /// <summary>"test on line 7 (from tag:office to tag:printer)", how errors name it.</summary>
    public string Name => $"test on line {Line} (from {From} to {To})";
}
