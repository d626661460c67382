using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// A network's access policy (issue #19): set, read, test and remove. A document is parsed, its names checked against
/// the network and its own tests run before anything is written; a refusal names each line and failing test, and the
/// policy in force stays. A set or removed policy reaches the members like every other change (the store's change feed).
/// </summary>
public sealed class PolicyService(IApplianceStore store, TimeProvider clock)
{
    public Task<PolicyDto> GetAsync(string network, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var policy = s.FindPolicy(network) ?? throw DomainException.NotFound($"access policy of network '{network}' (it has none: everything is allowed)");
            return ToDto(policy);
        }, ct);

    /// <summary>Checks <paramref name="text"/> against the network and stores it in one write: the check and the write see the same nodes and keys.</summary>
    public Task<PolicyDto> SetAsync(string network, string text, CancellationToken ct)
    {
        var policy = AccessPolicyParser.Parse(text);
        return store.WriteAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var failures = Check(s, network, policy).SelectMany(r => r.Failures).ToList();
            if (failures.Count > 0)
            {
                throw Refused(failures);
            }
            return ToDto(s.SetPolicy(network, text, clock.GetUtcNow()));
        }, ct);
    }

    /// <summary>Evaluates <paramref name="text"/> against the network without storing it: every test's result.</summary>
    public Task<PolicyTestReportDto> TestAsync(string network, string text, CancellationToken ct)
    {
        var policy = AccessPolicyParser.Parse(text);
        return store.ReadAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var results = Check(s, network, policy).Select(r => new PolicyTestResultDto(
                r.Test.Line, r.Test.From.Text, r.Test.To.Text, [.. r.Test.Accept.Select(p => p.ToString())], [.. r.Test.Deny.Select(p => p.ToString())],
                r.Failures.Count == 0, r.Failures)).ToList();
            return new PolicyTestReportDto(network, results.All(r => r.Passed), results);
        }, ct);
    }

    public Task DeleteAsync(string network, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            if (!s.DeletePolicy(network))
            {
                throw DomainException.NotFound($"access policy of network '{network}'");
            }
            return 0;
        }, ct);

    // Unknown names refuse the document outright (its tests would mean nothing); otherwise each test's result.
    private static List<(PolicyTest Test, List<string> Failures)> Check(IStoreSession s, string network, AccessPolicy policy)
    {
        var nodes = s.ListNodes(network);
        // A tag no node has yet is fine when an enrollment key for the network carries it: its nodes get it at join.
        var tags = nodes.SelectMany(n => n.Tags)
            .Concat(s.ListEnrollmentKeys().Where(k => k.Networks.Contains(network, StringComparer.Ordinal)).SelectMany(k => k.Tags))
            .ToHashSet(StringComparer.Ordinal);
        var names = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = AccessPolicyEvaluator.CheckNames(policy, tags, names);
        if (unknown.Count > 0)
        {
            throw Refused(unknown);
        }
        return AccessPolicyEvaluator.RunTests(policy, nodes);
    }

    private static DomainException Refused(List<string> errors) =>
        new(DomainErrorKind.Invalid, "policy: " + string.Join("; ", errors), new Dictionary<string, string[]> { ["policy"] = [.. errors] });

    private static PolicyDto ToDto(PolicyRecord p)
    {
        var parsed = AccessPolicyParser.Parse(p.Text);
        return new PolicyDto(p.Network, p.Text, p.Revision, p.UpdatedAt, parsed.Rules.Count, parsed.Groups.Count, parsed.Tests.Count);
    }
}
