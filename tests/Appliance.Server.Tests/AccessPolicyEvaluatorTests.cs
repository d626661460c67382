using System.Net;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The evaluator as a table: for a small office network (a laptop and an admin box tagged office, a printer, an IoT
/// sensor, a DNS server, and a gateway with an office LAN behind it and a phone as ext client), which nodes each policy
/// makes peers and which filter each node gets.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class AccessPolicyEvaluatorTests
{
    private static readonly NetworkRecord Net = new("home", IPNetwork.Parse("10.10.0.0/24"), IPNetwork.Parse("fd10::/64"), 51821, 1420, 20, 1, DateTimeOffset.UnixEpoch);

    private static NodeRecord Node(string name, int host, string[] tags, bool v6 = false, string? internetGateway = null) =>
        new($"id-{name}", "home", name, name, "pk-" + name, IPAddress.Parse($"10.10.0.{host}"), v6 ? IPAddress.Parse($"fd10::{host}") : null,
            51821, [], "linux", "1", tags, "hash", null, DateTimeOffset.UnixEpoch, null, internetGateway);

    private static PolicyWorld World(bool ingressNat = false, string? internetGateway = null)
    {
        NodeRecord[] nodes =
        [
            Node("laptop", 2, ["office"], v6: true, internetGateway),
            Node("admin", 3, ["office", "admin"]),
            Node("printer", 4, ["printer"], v6: true),
            Node("sensor", 5, ["iot"]),
            Node("dns", 6, ["dns"]),
            Node("gw", 7, ["gateway"]),
        ];
        var egress = new EgressRecord("id-gw", "home", [IPNetwork.Parse("192.168.1.0/24"), IPNetwork.Parse("0.0.0.0/0")], true, DateTimeOffset.UnixEpoch);
        var ingress = new IngressRecord("id-gw", "home", ingressNat, [], DateTimeOffset.UnixEpoch);
        var phone = new ExtClientRecord("ext-1", "home", "phone", "id-gw", "pk-phone", null, IPAddress.Parse("10.10.0.100"), null, true, null, DateTimeOffset.UnixEpoch);
        var disabled = new ExtClientRecord("ext-2", "home", "old-phone", "id-gw", "pk-old", null, IPAddress.Parse("10.10.0.101"), null, false, null, DateTimeOffset.UnixEpoch);
        return new PolicyWorld(Net, nodes, new Dictionary<string, IngressRecord> { ["id-gw"] = ingress },
            new Dictionary<string, EgressRecord> { ["id-gw"] = egress }, [phone, disabled]);
    }

    private static PolicyEvaluation Evaluate(string rules, PolicyWorld? world = null) =>
        AccessPolicyEvaluator.Evaluate(AccessPolicyParser.Parse($$"""{ "groups": { "group:admins": ["node:admin"] }, "rules": [ {{rules}} ] }"""), world ?? World());

    private static string Rule(string from, string to, string ports) => $$"""{ "from": [{{from}}], "to": [{{to}}], "ports": [{{ports}}] }""";

    // Each row: a policy, then the peer pairs it must make and the pairs it must not.
    public static TheoryData<string, string, string[], string[]> Peers => new()
    {
        { "no rules: nobody is a peer", "", [], ["laptop-printer", "laptop-gw", "sensor-printer"] },
        { "tag to tag, both directions", Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\""), ["laptop-printer", "printer-laptop", "admin-printer"], ["sensor-printer", "laptop-admin", "laptop-gw"] },
        { "* to a tag", Rule("\"*\"", "\"tag:dns\"", "\"udp:53\""), ["laptop-dns", "sensor-dns", "gw-dns", "printer-dns"], ["laptop-printer", "sensor-printer"] },
        { "a group", Rule("\"group:admins\"", "\"tag:iot\"", "\"tcp:22\""), ["admin-sensor"], ["laptop-sensor"] },
        { "a node by name", Rule("\"node:laptop\"", "\"node:sensor\"", "\"*\""), ["laptop-sensor"], ["admin-sensor"] },
        { "a CIDR naming a node", Rule("\"10.10.0.4/32\"", "\"tag:dns\"", "\"*\""), ["printer-dns"], ["laptop-dns"] },
        { "an egress range keeps its gateway", Rule("\"tag:office\"", "\"192.168.1.0/24\"", "\"tcp:445\""), ["laptop-gw", "admin-gw"], ["printer-gw", "laptop-printer"] },
        { "a host inside an egress range", Rule("\"tag:printer\"", "\"192.168.1.10/32\"", "\"tcp:9100\""), ["printer-gw"], ["laptop-gw"] },
        { "an ext client keeps its gateway", Rule("\"10.10.0.100/32\"", "\"tag:printer\"", "\"tcp:631\""), ["gw-printer"], ["gw-laptop", "laptop-printer"] },
        { "a disabled ext client reaches nothing", Rule("\"10.10.0.101/32\"", "\"tag:printer\"", "\"tcp:631\""), [], ["gw-printer"] },
        { "overlapping rules add up", Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\"") + "," + Rule("\"tag:iot\"", "\"tag:printer\"", "\"icmp\""), ["laptop-printer", "sensor-printer"], ["sensor-laptop"] },
    };

    [Theory]
    [MemberData(nameof(Peers))]
    public void Peers_are_the_nodes_a_rule_connects_directly_or_through_a_gateway(string row, string rules, string[] connected, string[] apart)
    {
        var e = Evaluate(rules);
        foreach (var pair in connected)
        {
            var (a, b) = Pair(pair);
            Assert.True(e.Connected(a, b) && e.Connected(b, a), $"{row}: {pair} should be peers");
        }
        foreach (var pair in apart)
        {
            var (a, b) = Pair(pair);
            Assert.False(e.Connected(a, b) || e.Connected(b, a), $"{row}: {pair} should not be peers");
        }
        Assert.All(e.Nodes, n => Assert.False(e.Connected(n, n)));
    }

    private static (string, string) Pair(string pair) => pair.Split('-') is [var a, var b] ? ("id-" + a, "id-" + b) : throw new ArgumentException(pair);

    [Fact]
    public void The_receiver_filters_sources_protocols_and_ports()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\", \"icmp\", \"tcp:8000-8099\""));
        var printer = e.FilterOf("id-printer")!;
        Assert.True(printer.Enforced);
        Assert.Equal(
            ["icmp 0-0 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to self", "tcp 631-631 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to self",
             "tcp 8000-8099 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to self"],
            printer.Inbound.Select(Text));
        Assert.Empty(printer.Forward);
        // The office may be reached by nobody: enforced and empty, not absent (absent would mean "no policy").
        var laptop = e.FilterOf("id-laptop")!;
        Assert.True(laptop.Enforced);
        Assert.Empty(laptop.Inbound);
    }

    [Fact]
    public void Star_as_a_source_is_any_address_and_rules_with_the_same_port_merge()
    {
        var e = Evaluate(Rule("\"*\"", "\"tag:dns\"", "\"udp:53\", \"*\"") + "," + Rule("\"tag:iot\"", "\"tag:dns\"", "\"tcp:53\"") + "," + Rule("\"tag:printer\"", "\"tag:dns\"", "\"tcp:53\""));
        Assert.Equal(
            ["* 0-0 from 0.0.0.0/0,::/0 to self", "tcp 53-53 from 10.10.0.4/32,10.10.0.5/32,fd10::4/128 to self", "udp 53-53 from 0.0.0.0/0,::/0 to self"],
            e.FilterOf("id-dns")!.Inbound.Select(Text));
    }

    [Fact]
    public void A_CIDR_destination_that_names_one_address_of_a_node_filters_only_that_address()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"fd10::/64\"", "\"tcp:22\""));
        Assert.Equal(["tcp 22-22 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to fd10::4/128"], e.FilterOf("id-printer")!.Inbound.Select(Text));
        Assert.Equal(["tcp 22-22 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to fd10::2/128"], e.FilterOf("id-laptop")!.Inbound.Select(Text));
    }

    [Fact]
    public void A_gateway_forwards_the_mesh_into_its_egress_ranges_as_the_rules_say()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"192.168.1.0/24\"", "\"tcp:445\""));
        var gw = e.FilterOf("id-gw")!;
        Assert.Equal(["tcp 445-445 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to 192.168.1.0/24"], gw.Forward.Select(Text));
        Assert.Empty(gw.Inbound);
        Assert.Empty(e.FilterOf("id-laptop")!.Forward);
    }

    [Fact]
    public void A_routed_ext_client_is_filtered_at_its_gateway_and_at_the_receiver_by_its_own_address()
    {
        var e = Evaluate(Rule("\"10.10.0.100/32\"", "\"tag:printer\"", "\"tcp:631\""));
        Assert.Equal(["tcp 631-631 from 10.10.0.100/32 to 10.10.0.4/32,fd10::4/128"], e.FilterOf("id-gw")!.Forward.Select(Text));
        Assert.Equal(["tcp 631-631 from 10.10.0.100/32 to self"], e.FilterOf("id-printer")!.Inbound.Select(Text));
    }

    [Fact]
    public void A_masqueraded_ext_client_arrives_with_its_gateways_address_except_at_the_gateway()
    {
        var e = Evaluate(Rule("\"10.10.0.100/32\"", "\"tag:printer\", \"tag:gateway\"", "\"tcp:631\""), World(ingressNat: true));
        Assert.Equal(["tcp 631-631 from 10.10.0.7/32 to self"], e.FilterOf("id-printer")!.Inbound.Select(Text));
        Assert.Equal(["tcp 631-631 from 10.10.0.100/32 to self"], e.FilterOf("id-gw")!.Inbound.Select(Text));
    }

    [Fact]
    public void A_node_keeps_its_internet_gateway_and_the_gateway_forwards_only_what_a_rule_allows()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"0.0.0.0/0\"", "\"tcp:443\""), World(internetGateway: "id-gw"));
        Assert.True(e.Connected("id-laptop", "id-gw"));
        // 0.0.0.0/0 is every IPv4 address: the internet behind the gateway, its office LAN, and the mesh (reached directly).
        // The phone (10.10.0.100) is inside it too: the gateway forwards the office to it.
        Assert.Equal(
            ["tcp 443-443 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to 0.0.0.0/0,192.168.1.0/24", "tcp 443-443 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to 10.10.0.100/32"],
            e.FilterOf("id-gw")!.Forward.Select(Text));
        var none = Evaluate("", World(internetGateway: "id-gw"));
        Assert.True(none.Connected("id-laptop", "id-gw"));
        Assert.Empty(none.FilterOf("id-gw")!.Forward);
    }

    // The office network plus a relay (issue #18) that no rule names.
    private static PolicyWorld WithRelay(bool noRelay = false)
    {
        var world = World();
        return world with { Nodes = [.. world.Nodes, Node("relay", 9, []) with { Relay = true, NoRelay = noRelay }] };
    }

    [Fact]
    public void A_relay_no_rule_names_is_a_peer_of_every_paired_node_and_forwards_only_what_the_rules_allow_the_pairs()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\""), WithRelay());
        foreach (var paired in new[] { "id-laptop", "id-admin", "id-printer" })
        {
            Assert.True(e.Connected(paired, "id-relay") && e.Connected("id-relay", paired), $"{paired} should have the relay as a peer");
        }
        // A node the policy connects to nobody has no pair to relay: it does not get the relay.
        Assert.False(e.Connected("id-sensor", "id-relay"));
        Assert.False(e.Connected("id-dns", "id-relay"));
        // The relay adds no pair of its own: the office still does not peer with the sensor.
        Assert.False(e.Connected("id-laptop", "id-sensor"));
        var relay = e.FilterOf("id-relay")!;
        Assert.Equal(["tcp 631-631 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to 10.10.0.4/32,fd10::4/128"], relay.Forward.Select(Text));
        // Nothing may open a connection to the relay itself: no rule names it.
        Assert.Empty(relay.Inbound);
        // The printer's own filter is the same as without the relay.
        Assert.Equal(Evaluate(Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\"")).FilterOf("id-printer"), e.FilterOf("id-printer"), FilterComparer);
    }

    [Fact]
    public void A_relay_forwards_for_every_rule_its_own_rules_included_and_one_that_opted_out_is_no_relay()
    {
        var e = Evaluate(Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\"") + "," + Rule("\"tag:iot\"", "\"192.168.1.0/24\"", "\"udp:161\""), WithRelay());
        Assert.Equal(
            ["tcp 631-631 from 10.10.0.2/32,10.10.0.3/32,fd10::2/128 to 10.10.0.4/32,fd10::4/128", "udp 161-161 from 10.10.0.5/32 to 192.168.1.0/24"],
            e.FilterOf("id-relay")!.Forward.Select(Text));
        Assert.True(e.Connected("id-sensor", "id-relay") && e.Connected("id-gw", "id-relay"));

        var optedOut = Evaluate(Rule("\"tag:office\"", "\"tag:printer\"", "\"tcp:631\""), WithRelay(noRelay: true));
        Assert.False(optedOut.Connected("id-laptop", "id-relay"));
        Assert.Empty(optedOut.FilterOf("id-relay")!.Forward);
    }

    private static readonly IEqualityComparer<MeshFilterDto?> FilterComparer = EqualityComparer<MeshFilterDto?>.Create(
        (a, b) => a is not null && b is not null && a.Inbound.Select(Text).SequenceEqual(b.Inbound.Select(Text)) && a.Forward.Select(Text).SequenceEqual(b.Forward.Select(Text)));

    [Fact]
    public void Names_are_checked_against_the_network_each_with_its_line()
    {
        var policy = AccessPolicyParser.Parse("""
            { "rules": [
                { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["*"] },
                { "from": ["group:nobody"], "to": ["node:ghost"], "ports": ["*"] },
            ] }
            """);
        Assert.Equal(
            ["line 2: unknown tag \"tag:printer\": no node of the network and no enrollment key for it carries it",
             "line 3: unknown group \"group:nobody\": define it under \"groups\"",
             "line 3: unknown node \"node:ghost\": the network has no node of that name"],
            AccessPolicyEvaluator.CheckNames(policy, new HashSet<string> { "office" }, new HashSet<string> { "laptop" }));
    }

    public static TheoryData<string, string, string[]> Tests => new()
    {
        { "accepted and denied as expected", """{ "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631", "icmp"], "deny": ["tcp:22", "udp:631"] }""", [] },
        { "a denied port expected accepted", """{ "from": "tag:office", "to": "tag:printer", "accept": ["tcp:22"] }""", ["tcp:22 is denied, the test expects it accepted"] },
        { "an accepted port expected denied", """{ "from": "tag:office", "to": "tag:printer", "deny": ["tcp:600-700"] }""", ["tcp:600-700 is accepted, the test expects it denied"] },
        { "a node carrying the tag", """{ "from": "node:laptop", "to": "tag:printer", "accept": ["tcp:631"] }""", [] },
        { "a node without the tag", """{ "from": "node:sensor", "to": "tag:printer", "deny": ["tcp:631", "icmp"] }""", [] },
        { "ranges of two rules add up", """{ "from": "tag:office", "to": "tag:dns", "accept": ["tcp:1-200"] }""", [] },
        { "a gap between ranges", """{ "from": "tag:office", "to": "tag:dns", "accept": ["tcp:1-300"] }""", ["tcp:1-300 is denied"] },
        { "a CIDR inside a CIDR rule", """{ "from": "192.168.1.7/32", "to": "tag:dns", "accept": ["udp:53"] }""", [] },
        { "the group's member", """{ "from": "node:admin", "to": "tag:iot", "accept": ["tcp:22"] }""", [] },
    };

    [Theory]
    [MemberData(nameof(Tests))]
    public void A_documents_tests_pass_or_name_the_failing_port(string row, string test, string[] failures)
    {
        var policy = AccessPolicyParser.Parse($$"""
            { "groups": { "group:admins": ["node:admin"] },
              "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631", "icmp", "tcp:600-700"] },
                         { "from": ["tag:office"], "to": ["tag:dns"], "ports": ["tcp:1-100", "tcp:101-200", "tcp:250-300"] },
                         { "from": ["192.168.0.0/16"], "to": ["tag:dns"], "ports": ["udp:53"] },
                         { "from": ["group:admins"], "to": ["tag:iot"], "ports": ["tcp:22"] } ],
              "tests": [ {{test}} ] }
            """);
        var (_, got) = Assert.Single(AccessPolicyEvaluator.RunTests(policy, World().Nodes));
        Assert.Equal(failures.Length, got.Count);
        foreach (var (expected, actual) in failures.Zip(got))
        {
            Assert.Contains("line 6: test from ", actual);
            Assert.Contains(expected, actual);
        }
        _ = row;
    }

    private static string Text(FilterRuleDto r) =>
        $"{r.Protocol} {r.PortFrom}-{r.PortTo} from {string.Join(',', r.Sources)} to {(r.Destinations.Count == 0 ? "self" : string.Join(',', r.Destinations))}";
}
