using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>Policy documents: what parses (comments, trailing commas, every selector and port form) and what is refused, naming the line.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class AccessPolicyParserTests
{
    [Fact]
    public void The_issue_example_parses_with_comments_and_trailing_commas()
    {
        var policy = AccessPolicyParser.Parse("""
            // who may reach whom
            { "groups": { "group:admins": ["node:laptop-1", "10.20.0.0/16",], },
              /* printers */
              "rules": [ { "from": ["tag:office", "group:admins"], "to": ["tag:printer"], "ports": ["tcp:631", "icmp"] },
                         { "from": ["*"], "to": ["tag:dns"], "ports": ["udp:53", "tcp:53", "tcp:8000-8099", "udp:*", "*"], }, ],
              "tests": [ { "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631"], "deny": ["tcp:22"] } ], }
            """);
        Assert.Equal(["node:laptop-1", "10.20.0.0/16"], policy.Groups["admins"].Select(s => s.Text));
        Assert.Equal(2, policy.Rules.Count);
        Assert.Equal(4, policy.Rules[0].Line);
        Assert.Equal(["tag:office", "group:admins"], policy.Rules[0].From.Select(s => s.Text));
        Assert.Equal(["udp:53", "tcp:53", "tcp:8000-8099", "udp:*", "*"], policy.Rules[1].Ports.Select(p => p.ToString()));
        Assert.Equal((8000, 8099), policy.Rules[1].Ports[2].FilterPorts);
        Assert.Equal((0, 0), policy.Rules[1].Ports[3].FilterPorts);
        var test = Assert.Single(policy.Tests);
        Assert.Equal("test on line 6 (from tag:office to tag:printer)", test.Name);
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "syntax error", "{ \"rules\": [\n  { \"from\": [\"*\"] \n  \"to\": [] } ] }", "line 3: not valid JSON" },
        { "unknown top-level field", "{ \"rules\": [],\n \"rulez\": [] }", "line 2: unknown field \"rulez\"" },
        { "unknown rule field", "{ \"rules\": [\n { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"*\"],\n \"action\": \"accept\" } ] }", "line 3: unknown field \"action\" in a rule" },
        { "bad selector", "{ \"rules\": [ { \"from\": [\"*\"],\n \"to\": [\"printer\"], \"ports\": [\"*\"] } ] }", "line 2: bad selector \"printer\"" },
        { "CIDR with host bits", "{ \"rules\": [ { \"from\": [\"10.0.0.5/24\"], \"to\": [\"*\"], \"ports\": [\"*\"] } ] }", "line 1: bad selector: '10.0.0.5/24' has host bits set" },
        { "empty tag name", "{ \"rules\": [ { \"from\": [\"tag:\"], \"to\": [\"*\"], \"ports\": [\"*\"] } ] }", "line 1: bad selector \"tag:\"" },
        { "port out of range", "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"],\n\n \"ports\": [\"tcp:70000\"] } ] }", "line 3: bad port spec \"tcp:70000\": ports are 1-65535" },
        { "backwards port range", "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"udp:90-80\"] } ] }", "the range starts after it ends" },
        { "unknown protocol", "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"sctp:9\"] } ] }", "bad port spec \"sctp:9\"" },
        { "port without protocol", "{ \"rules\": [ { \"from\": [\"*\"], \"to\": [\"*\"], \"ports\": [\"631\"] } ] }", "bad port spec \"631\"" },
        { "rule without ports", "{ \"rules\": [\n { \"from\": [\"*\"], \"to\": [\"*\"] } ] }", "line 2: the rule has no \"ports\"" },
        { "no rules", "{ \"groups\": {} }", "the document has no \"rules\"" },
        { "group in a group", "{ \"groups\": { \"group:a\": [\"tag:x\"],\n \"group:b\": [\"group:a\"] }, \"rules\": [] }", "line 2: group \"group:b\" names another group" },
        { "badly named group", "{ \"groups\": { \"admins\": [\"tag:x\"] }, \"rules\": [] }", "bad group name \"admins\"" },
        { "a test with a group", "{ \"rules\": [], \"tests\": [ { \"from\": \"group:a\", \"to\": \"*\", \"accept\": [\"icmp\"] } ] }", "a test's \"from\" names one tag, node or CIDR" },
        { "a test checking nothing", "{ \"rules\": [], \"tests\": [ { \"from\": \"*\", \"to\": \"*\" } ] }", "the test checks nothing" },
        { "not an object", "[1, 2]", "line 1: the document must be one JSON object" },
        { "a number for a list", "{ \"rules\": 5 }", "\"rules\" must be a list" },
        { "text after the end", "{ \"rules\": [] } {", "line 1:" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_bad_document_is_refused_naming_the_line_and_what_is_wrong(string row, string document, string expected)
    {
        var e = Assert.Throws<DomainException>(() => AccessPolicyParser.Parse(document));
        Assert.Equal(DomainErrorKind.Invalid, e.Kind);
        Assert.True(e.Errors!["policy"].Any(m => m.Contains(expected, StringComparison.Ordinal)), $"{row}: {string.Join(" | ", e.Errors["policy"])}");
    }

    [Fact]
    public void Every_mistake_is_named_at_once()
    {
        var e = Assert.Throws<DomainException>(() => AccessPolicyParser.Parse("""
            { "rules": [
                { "from": ["tag:a", "bogus"], "to": ["*"], "ports": ["tcp:0"] },
                { "from": ["*"], "to": ["300.1.1.0/24"], "ports": ["icmp"] },
            ] }
            """));
        var errors = e.Errors!["policy"];
        Assert.Equal(3, errors.Length);
        Assert.StartsWith("line 2: bad selector \"bogus\"", errors[0]);
        Assert.StartsWith("line 2: bad port spec \"tcp:0\"", errors[1]);
        Assert.StartsWith("line 3: bad selector: '300.1.1.0/24'", errors[2]);
    }

    [Fact]
    public void Inputs_are_bounded()
    {
        var rules = string.Join(",", Enumerable.Repeat("{\"from\":[\"*\"],\"to\":[\"*\"],\"ports\":[\"*\"]}", AccessPolicyParser.MaxRules + 1));
        Assert.Contains("more than 1000 entries", Assert.Throws<DomainException>(() => AccessPolicyParser.Parse($"{{\"rules\":[{rules}]}}")).Message);
        var ports = string.Join(",", Enumerable.Range(1, AccessPolicyParser.MaxPortsPerRule + 1).Select(p => $"\"tcp:{p}\""));
        Assert.Contains("more than 64 entries", Assert.Throws<DomainException>(() => AccessPolicyParser.Parse($"{{\"rules\":[{{\"from\":[\"*\"],\"to\":[\"*\"],\"ports\":[{ports}]}}]}}")).Message);
        var huge = "{\"rules\":[]}" + new string(' ', AccessPolicyParser.MaxDocumentBytes);
        Assert.Contains("at most 262144", Assert.Throws<DomainException>(() => AccessPolicyParser.Parse(huge)).Message);
        var deep = new string('[', 100);
        Assert.Contains("line 1: each entry of \"rules\" must be an object", Assert.Throws<DomainException>(() => AccessPolicyParser.Parse($"{{\"rules\":{deep}")).Message);
    }
}
