namespace Appliance.Contracts.Api;

/// <summary>
/// GET/PUT /api/v1/networks/{name}/policy: the network's access policy as it was sent (<see cref="Text"/>, comments
/// included), its <see cref="Revision"/> (1 for the first, one more for each PUT), and how many rules, groups and tests
/// it has.
/// </summary>
public sealed record PolicyDto(string Network, string Text, long Revision, DateTimeOffset UpdatedAt, int Rules, int Groups, int Tests);

/// <summary>POST /api/v1/networks/{name}/policy/test: a document evaluated against the network without storing it.</summary>
public sealed record PolicyTestReportDto(string Network, bool Passed, IReadOnlyList<PolicyTestResultDto> Tests);

/// <summary>One test of a policy document: where it is, what it checks, and each failure (empty: it passed).</summary>
public sealed record PolicyTestResultDto(int Line, string From, string To, IReadOnlyList<string> Accept, IReadOnlyList<string> Deny, bool Passed, IReadOnlyList<string> Failures);
