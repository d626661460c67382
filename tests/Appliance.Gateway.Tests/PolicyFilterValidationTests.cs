using Appliance.Contracts.Mesh;
using Appliance.Gateway.Model;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>What the node accepts of a filter, and the filters it refuses whole, naming the field (issue #19).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class PolicyFilterValidationTests
{
    private static MeshFilterDto Inbound(params FilterRuleDto[] rules) => new() { Inbound = rules };

    public static TheoryData<string, MeshFilterDto, string, string> Refused() => new()
    {
        { "bad CIDR", Inbound(new FilterRuleDto(["10.0.0.300/32"], [], "tcp", 22, 22)), "filter.inbound[0].sources[0]", "not an IPv4 or IPv6 address" },
        { "host bits", Inbound(new FilterRuleDto(["10.0.0.1/24"], [], "tcp", 22, 22)), "filter.inbound[0].sources[0]", "host bits set" },
        { "prefix too long", Inbound(new FilterRuleDto(["10.0.0.0/33"], [], "tcp", 22, 22)), "filter.inbound[0].sources[0]", "prefix length" },
        { "zone in address", Inbound(new FilterRuleDto(["fe80::1%eth0"], [], "tcp", 22, 22)), "filter.inbound[0].sources[0]", "" },
        { "no sources", Inbound(new FilterRuleDto([], [], "tcp", 22, 22)), "filter.inbound[0].sources", "at least one source" },
        { "unknown protocol", Inbound(new FilterRuleDto(["*"], [], "sctp")), "filter.inbound[0].protocol", "expected tcp, udp, icmp or *" },
        { "upper-case protocol", Inbound(new FilterRuleDto(["*"], [], "TCP", 22, 22)), "filter.inbound[0].protocol", "expected tcp" },
        { "port 0 to 10", Inbound(new FilterRuleDto(["*"], [], "tcp", 0, 10)), "filter.inbound[0].ports", "1..65535" },
        { "port above 65535", Inbound(new FilterRuleDto(["*"], [], "udp", 1, 70000)), "filter.inbound[0].ports", "1..65535" },
        { "reversed range", Inbound(new FilterRuleDto(["*"], [], "tcp", 9000, 8000)), "filter.inbound[0].ports", "from <= to" },
        { "ports on icmp", Inbound(new FilterRuleDto(["*"], [], "icmp", 1, 1)), "filter.inbound[0].ports", "tcp and udp only" },
        { "ports on any", Inbound(new FilterRuleDto(["*"], [], "*", 80, 80)), "filter.inbound[0].ports", "tcp and udp only" },
        { "forward without destinations", new MeshFilterDto { Forward = [new(["*"], [], "tcp", 80, 80)] }, "filter.forward[0].destinations", "at least one destination" },
        { "bad destination", new MeshFilterDto { Forward = [new(["*"], ["192.168.1.0/24", "lan"], "tcp")] }, "filter.forward[0].destinations[1]", "missing the prefix length" },
        { "too many rules", Inbound([.. Enumerable.Range(0, PolicyFilterValidator.MaxRules + 1).Select(_ => new FilterRuleDto(["*"], [], "icmp"))]), "filter.inbound", "more than 4096 rules" },
        { "too many sources", Inbound(new FilterRuleDto([.. Enumerable.Range(0, PolicyFilterValidator.MaxPrefixesPerRule + 1).Select(i => $"10.{i / 256}.{i % 256}.1")], [], "icmp")), "filter.inbound[0].sources", "more than 4096 entries" },
        { "too many pairs", new MeshFilterDto { Forward = [new([.. Enumerable.Range(0, 300).Select(i => $"10.0.{i / 256}.{i % 256}")], [.. Enumerable.Range(0, 300).Select(i => $"192.168.{i / 256}.{i % 256}")], "tcp")] }, "filter.forward[0]", "65536" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_bad_filter_is_refused_naming_the_field(string name, MeshFilterDto filter, string field, string reason)
    {
        var e = Assert.Throws<GatewaySpecException>(() => PolicyFilterValidator.Validate(filter));
        Assert.True(e.Field == field, $"{name}: field {e.Field}, expected {field} ({e.Message})");
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_filter_and_a_lifted_one_mean_no_policy()
    {
        Assert.Null(PolicyFilterValidator.Validate(null));
        Assert.Null(PolicyFilterValidator.Validate(MeshFilterDto.None));
    }

    [Fact]
    public void An_empty_enforced_filter_is_a_policy_that_allows_nothing()
    {
        var f = PolicyFilterValidator.Validate(new MeshFilterDto())!;
        Assert.Empty(f.Inbound);
        Assert.Empty(f.Forward);
    }

    [Fact]
    public void Prefixes_are_sorted_deduplicated_and_covered_ones_dropped()
    {
        var f = PolicyFilterValidator.Validate(Inbound(new FilterRuleDto(["10.1.2.3", "10.0.0.0/8", "192.168.1.5", "fd10::1", "10.9.0.0/16", "192.168.1.5/32", "fd10::/64"], [], "tcp", 1, 1)))!;
        Assert.Equal(["10.0.0.0/8", "192.168.1.5/32", "fd10::/64"], f.Inbound[0].Sources.Select(n => n.ToString()));
    }

    [Fact]
    public void Star_covers_both_families_and_swallows_everything_else()
    {
        var f = PolicyFilterValidator.Validate(Inbound(new FilterRuleDto(["10.0.0.1", "*"], [], "*")))!;
        Assert.Equal(["0.0.0.0/0", "::/0"], f.Inbound[0].Sources.Select(n => n.ToString()));
        Assert.True(f.Inbound[0].ToSelf);
        Assert.Equal(PolicyProtocol.Any, f.Inbound[0].Protocol);
    }

    [Fact]
    public void A_bad_filter_in_a_gateway_spec_is_refused_before_anything_is_rendered()
    {
        var spec = PolicySpecs.GatewayForward() with { Filter = Inbound(new FilterRuleDto(["*"], [], "gre")) };
        var e = Assert.Throws<GatewaySpecException>(() => GatewayFirewallPlan.Create(spec));
        Assert.Equal("filter.inbound[0].protocol", e.Field);
    }
}
