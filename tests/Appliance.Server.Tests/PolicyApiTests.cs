using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>/api/v1/networks/{name}/policy: set as written, read back, refused with the line and the old policy kept, tested, removed; and what nodes get.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class PolicyApiTests
{
    private const string Office = """
        // office may print; nobody else reaches the printer
        { "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631", "icmp",] }, ],
          "tests": [ { "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631"], "deny": ["tcp:22"] } ] }
        """;

    private static async Task<(GatewayScenario S, JoinResponse Office, JoinResponse Printer, JoinResponse Iot)> TaggedAsync()
    {
        var s = await GatewayScenario.CreateAsync();
        var office = await s.JoinAsync("office");
        var printer = await s.JoinAsync("printer");
        var iot = await s.JoinAsync("iot");
        foreach (var (node, tag) in new[] { (office, "office"), (printer, "printer"), (iot, "iot") })
        {
            await s.OkAsync<NodeDto>(await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{node.NodeId}", new UpdateNodeRequest { Tags = [tag] }));
        }
        return (s, office, printer, iot);
    }

    private static Task<HttpResponseMessage> PutAsync(GatewayScenario s, string text) =>
        s.Admin.PutAsync("/api/v1/networks/home/policy", new StringContent(text, System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_policy_is_kept_as_written_and_nodes_get_only_their_peers_and_their_filter()
    {
        var (s, office, printer, iot) = await TaggedAsync();
        using var _ = s;
        var before = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;
        var set = await s.OkAsync<PolicyDto>(await PutAsync(s, Office));
        Assert.Equal((1L, 1, 0, 1), (set.Revision, set.Rules, set.Groups, set.Tests));
        Assert.True((await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version > before);
        var got = (await s.Admin.GetFromJsonAsync<PolicyDto>("/api/v1/networks/home/policy"))!;
        Assert.Equal(Office, got.Text); // comments, trailing commas and all

        var printerConfig = await s.ConfigAsync(printer);
        Assert.Equal(["office"], printerConfig.Peers.Select(p => p.Name));
        var rule = Assert.Single(printerConfig.Filter!.Inbound, r => r.Protocol == "tcp");
        Assert.Equal((631, 631), (rule.PortFrom, rule.PortTo));
        var officeAddress = (await s.ConfigAsync(office)).Interface.Addresses[0].Split('/')[0];
        Assert.Contains(officeAddress + "/32", rule.Sources);
        var iotConfig = await s.ConfigAsync(iot);
        Assert.Empty(iotConfig.Peers);
        Assert.True(iotConfig.Filter!.Enforced);
        Assert.Empty(iotConfig.Filter.Inbound);

        // A second set moves the revision; a delete lifts the policy: every peer again, no filter.
        Assert.Equal(2, (await s.OkAsync<PolicyDto>(await PutAsync(s, Office))).Revision);
        using (var r = await s.Admin.DeleteAsync("/api/v1/networks/home/policy"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        await s.ProblemAsync(s.Admin.GetAsync("/api/v1/networks/home/policy"), 404);
        await s.ProblemAsync(s.Admin.DeleteAsync("/api/v1/networks/home/policy"), 404);
        var open = await s.ConfigAsync(iot);
        Assert.Null(open.Filter);
        Assert.Equal(["office", "printer"], open.Peers.Select(p => p.Name).Order());
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "syntax", "{ \"rules\": [\n  { \"from\": [\"*\"\n } ] }", "line 3: not valid JSON" },
        { "unknown tag", "{ \"rules\": [\n { \"from\": [\"tag:office\"], \"to\": [\"tag:scanner\"], \"ports\": [\"*\"] } ] }", "line 2: unknown tag \"tag:scanner\"" },
        { "unknown group", "{ \"rules\": [ { \"from\": [\"group:admins\"], \"to\": [\"*\"], \"ports\": [\"*\"] } ] }", "line 1: unknown group \"group:admins\"" },
        { "bad port", "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"tcp:99999\"] } ] }", "line 1: bad port spec \"tcp:99999\"" },
        { "failing test", Office.Replace("\"deny\": [\"tcp:22\"]", "\"deny\": [\"tcp:631\"]", StringComparison.Ordinal),
          "line 3: test from tag:office to tag:printer failed: tcp:631 is accepted, the test expects it denied" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_policy_names_the_line_and_the_old_policy_stays(string row, string document, string expected)
    {
        var (s, _, printer, _) = await TaggedAsync();
        using var _s = s;
        await s.OkAsync<PolicyDto>(await PutAsync(s, Office));
        var version = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;
        var config = await s.ConfigAsync(printer);
        var problem = await s.ProblemAsync(PutAsync(s, document), 400);
        Assert.True(problem.Errors!["policy"].Any(m => m.Contains(expected, StringComparison.Ordinal)), $"{row}: {problem.Describe()}");
        var kept = (await s.Admin.GetFromJsonAsync<PolicyDto>("/api/v1/networks/home/policy"))!;
        Assert.Equal((Office, 1L), (kept.Text, kept.Revision));
        Assert.Equal(version, (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version);
        Assert.Equal(config.Version, (await s.ConfigAsync(printer)).Version);
    }

    [Fact]
    public async Task A_tag_only_an_enrollment_key_carries_is_known_and_a_tagged_join_gets_it()
    {
        var (s, office, printer, _) = await TaggedAsync();
        using var _ = s;
        var key = await s.Server.CreateKeyAsync("home", tags: ["scanner"]);
        await s.OkAsync<PolicyDto>(await PutAsync(s, """{ "rules": [ { "from": ["tag:office"], "to": ["tag:scanner"], "ports": ["tcp:9100"] } ] }"""));
        Assert.Empty((await s.ConfigAsync(office)).Peers);
        var scanner = await s.Server.JoinAsync(key, "scanner", ["192.0.2.50"]);
        Assert.Equal(["scanner"], (await s.ConfigAsync(office)).Peers.Select(p => p.Name));
        Assert.Empty((await s.ConfigAsync(printer)).Peers);
        Assert.Equal(["office"], (await s.ConfigAsync(scanner)).Peers.Select(p => p.Name));
    }

    [Fact]
    public async Task Testing_a_document_evaluates_each_test_and_stores_nothing()
    {
        var (s, _, _, _) = await TaggedAsync();
        using var _s = s;
        var document = """
            { "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631"] } ],
              "tests": [ { "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631"] },
                         { "from": "tag:iot", "to": "tag:printer", "accept": ["tcp:631"], "deny": ["tcp:22"] } ] }
            """;
        var report = await s.OkAsync<PolicyTestReportDto>(await s.Admin.PostAsync("/api/v1/networks/home/policy/test", new StringContent(document)));
        Assert.False(report.Passed);
        Assert.Equal([(2, true), (3, false)], report.Tests.Select(t => (t.Line, t.Passed)));
        Assert.Equal(["line 3: test from tag:iot to tag:printer failed: tcp:631 is denied, the test expects it accepted"], report.Tests[1].Failures);
        await s.ProblemAsync(s.Admin.GetAsync("/api/v1/networks/home/policy"), 404);
        await s.ProblemAsync(s.Admin.PostAsync("/api/v1/networks/nope/policy/test", new StringContent(document)), 404);
    }

    [Fact]
    public async Task A_document_over_the_limit_is_refused_before_it_is_read()
    {
        var (s, _, _, _) = await TaggedAsync();
        using var _s = s;
        var huge = "{\"rules\":[]}" + new string(' ', 256 * 1024);
        await s.ProblemAsync(PutAsync(s, huge), 413);
        await s.ProblemAsync(s.Admin.GetAsync("/api/v1/networks/home/policy"), 404);
    }
}
