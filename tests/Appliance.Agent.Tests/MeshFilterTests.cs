using System.Text.Json;
using Appliance.Agent.Gateway;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// The access-policy filter on the node (issue #19): carried through snapshots, deltas (null = unchanged, None =
/// lifted), network deltas and split snapshots; persisted; a bad filter refused whole with the previous one kept;
/// translated into a firewall spec for plain nodes and gateways.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshFilterTests : IDisposable
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();
    private readonly MeshUpdateGate _gate = new(Ed25519.PublicKeyOf(ServerKey), "me");
    private readonly TempDirectory _dir = new("appliance-filter");

    public void Dispose() => _dir.Dispose();

    private static readonly MeshFilterDto Printer = new() { Inbound = [new(["10.0.0.3"], [], FilterRuleDto.Tcp, 631, 631), new(["10.0.0.3"], [], FilterRuleDto.Icmp)] };
    private static readonly MeshFilterDto SshOnly = new() { Inbound = [new(["10.0.0.0/24"], [], FilterRuleDto.Tcp, 22, 22)] };

    private static NodeConfigDto Config(long v, MeshFilterDto? filter = null) =>
        new("me", "me", v, new NodeInterfaceDto("home", ["10.0.0.1/24", "fd00::1/64"], 51821, 1420),
            [new PeerDto("a", "a", Convert.ToBase64String(new byte[32].Select(_ => (byte)1).ToArray()), ["10.0.0.2/32"], null, [], 20)],
            Epoch: "e1", ServerId: "s1", Filter: filter);

    private static byte[] Wire(MeshUpdate u) =>
        SignedEnvelope.Seal(ServerKey, JsonSerializer.SerializeToUtf8Bytes(u, ApplianceJsonContext.Default.MeshUpdate));

    private static MeshUpdate Delta(long from, long to, MeshFilterDto? filter) =>
        MeshDelta.Compute(Config(from), Config(to), default) with { Filter = filter };

    private NodeConfigDto Apply(MeshUpdate update, NodeConfigDto? current, out string why)
    {
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(update), current, out var next, out why));
        return next!;
    }

    [Fact]
    public void A_snapshot_carries_the_filter_and_one_without_means_no_policy()
    {
        var withFilter = Apply(MeshDelta.Snapshot(Config(5), default) with { Filter = Printer }, null, out _);
        Assert.Equal(2, withFilter.Filter!.Inbound.Count);
        Assert.Null(Apply(MeshDelta.Snapshot(Config(6), default), withFilter, out _).Filter);
        // None in a snapshot is the same as no policy.
        Assert.Null(Apply(MeshDelta.Snapshot(Config(7), default) with { Filter = MeshFilterDto.None }, withFilter, out _).Filter);
    }

    public static TheoryData<string, MeshFilterDto?, MeshFilterDto?, int?> DeltaRows() => new()
    {
        // row, filter held, filter in the delta, inbound rules after (null: no filter)
        { "null keeps the filter", Printer, null, 2 },
        { "null keeps no filter", null, null, null },
        { "None lifts the filter", Printer, MeshFilterDto.None, null },
        { "None without a filter stays without", null, MeshFilterDto.None, null },
        { "a new filter replaces the old", Printer, SshOnly, 1 },
        { "a first filter is taken", null, SshOnly, 1 },
        { "an empty enforced filter is taken (deny all)", Printer, new MeshFilterDto(), 0 },
    };

    [Theory]
    [MemberData(nameof(DeltaRows))]
    public void A_member_delta_keeps_lifts_or_replaces_the_filter(string row, MeshFilterDto? held, MeshFilterDto? sent, int? rulesAfter)
    {
        var next = Apply(Delta(5, 6, sent), Config(5, held), out _);
        Assert.True(rulesAfter == next.Filter?.Inbound.Count, $"{row}: {next.Filter?.Inbound.Count}");
        Assert.True(next.Filter is null || next.Filter.Enforced, row);
    }

    [Fact]
    public void A_network_delta_keeps_the_nodes_own_filter_whatever_it_carries()
    {
        var update = MeshDelta.NetworkDelta("home", 5, 6, null, null, new MeshPeerChanges([], []), [], "e1", default) with { ServerId = "s1", Filter = MeshFilterDto.None };
        var next = Apply(update, Config(5, Printer), out _);
        Assert.Same(Printer, next.Filter);
    }

    [Fact]
    public void A_split_snapshot_takes_the_filter_of_the_nodes_own_part()
    {
        static PeerDto Peer(string id, int i) => new(id, id, Convert.ToBase64String(new byte[32].Select(_ => (byte)(i + 1)).ToArray()), [$"10.0.0.{i + 2}/32"], null, [], 20);
        MeshUpdate Shared(int i, params PeerDto[] peers) => new()
        {
            Kind = MeshUpdate.SnapshotKind, NodeId = MeshUpdate.AnyMember, Name = string.Empty, Network = "home",
            ToVersion = 9, Part = i, Parts = 2, UpsertPeers = peers, Epoch = "e1", ServerId = "s1",
            // A filter in a part shared by every member is not this node's: it must not be taken.
            Filter = new MeshFilterDto(),
        };
        var shared = Shared(1, Peer("a", 0), Peer("b", 1));
        var head = MeshDelta.Snapshot(Config(9), default) with
        {
            UpsertPeers = [], Part = 0, Parts = 2, PartDigests = [MeshSnapshotAssembler.Digest(Wire(shared))], Filter = SshOnly,
        };
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(head), Config(5), out _, out _));
        var next = Apply(shared, Config(5), out _);
        Assert.Equal(2, next.Peers.Count);
        Assert.Equal(SshOnly.Inbound[0].Sources, next.Filter!.Inbound[0].Sources);
    }

    public static TheoryData<string, MeshFilterDto, string> BadFilters() => new()
    {
        { "bad cidr", new MeshFilterDto { Inbound = [new(["10.0.0.0/40"], [], FilterRuleDto.Tcp, 22, 22)] }, "filter.inbound[0].sources[0]" },
        { "unknown protocol", new MeshFilterDto { Inbound = [new(["*"], [], "gre")] }, "filter.inbound[0].protocol" },
        { "port range", new MeshFilterDto { Inbound = [new(["*"], [], FilterRuleDto.Udp, 10, 5)] }, "filter.inbound[0].ports" },
        { "forward without destination", new MeshFilterDto { Forward = [new(["*"], [], FilterRuleDto.Tcp)] }, "filter.forward[0].destinations" },
    };

    [Theory]
    [MemberData(nameof(BadFilters))]
    public void A_bad_filter_is_refused_whole_the_previous_stays_and_the_rest_of_the_update_applies(string row, MeshFilterDto bad, string field)
    {
        var update = Delta(5, 6, bad) with { UpsertPeers = [new PeerDto("b", "b", Convert.ToBase64String(new byte[32].Select(_ => (byte)2).ToArray()), ["10.0.0.9/32"], null, [], 20)] };
        var next = Apply(update, Config(5, Printer), out var why);
        Assert.Same(Printer, next.Filter);
        Assert.Equal(2, next.Peers.Count);
        Assert.Equal(6, next.Version);
        Assert.True(why.Contains(field, StringComparison.Ordinal) && why.Contains("keeping the previous filter", StringComparison.Ordinal), $"{row}: {why}");

        // In a snapshot too; with no filter before, none stays (the policy is refused, not half-applied).
        var fromNothing = Apply(MeshDelta.Snapshot(Config(7), default) with { Filter = bad }, Config(6), out why);
        Assert.Null(fromNothing.Filter);
        Assert.Contains("keeping no filter", why, StringComparison.Ordinal);
    }

    [Fact]
    public void The_filter_survives_a_restart_in_desired_json()
    {
        var store = new StateStore(_dir.Path);
        store.SaveDesired(Config(5, Printer));
        var loaded = store.LoadDesired()!;
        Assert.True(loaded.Filter!.Enforced);
        Assert.Equal(Printer.Inbound, loaded.Filter.Inbound, (a, b) => a.Sources.SequenceEqual(b.Sources) && a.Protocol == b.Protocol && a.PortFrom == b.PortFrom && a.PortTo == b.PortTo);
        store.SaveDesired(Config(6, new MeshFilterDto()));
        Assert.True(store.LoadDesired()!.Filter is { Enforced: true, Inbound.Count: 0 });
    }

    [Fact]
    public void A_plain_node_with_a_filter_gets_a_spec_of_its_own_ranges_and_addresses()
    {
        Assert.Null(GatewayTranslator.ToFirewallSpec("wg0", Config(5), DateTimeOffset.UnixEpoch));
        var spec = GatewayTranslator.ToFirewallSpec("wg0", Config(5, Printer), DateTimeOffset.UnixEpoch)!;
        Assert.Equal(["10.0.0.0/24", "fd00::/64"], spec.MeshRanges);
        Assert.Equal(["10.0.0.1", "fd00::1"], spec.MeshAddresses);
        Assert.Null(spec.Ingress);
        Assert.Null(spec.Egress);
        Assert.Same(Printer, spec.Filter);
        var plan = Appliance.Gateway.Model.GatewayFirewallPlan.Create(spec);
        Assert.True(plan.HasFilter);
        Assert.False(plan.HasRoles);
    }

    [Fact]
    public async Task A_plain_node_applies_the_filter_without_forwarding_and_removes_it_when_lifted()
    {
        var state = JoinCommandTests.SampleState();
        var runner = new FakeCommandRunner();
        var sysctl = new FakeSysctl();
        var log = new StringWriter();
        await using var roles = new GatewayRoles(_dir.Path, "nftables", log, runner, sysctl);

        await roles.ApplyAsync(state, Config(5, Printer), DateTimeOffset.UnixEpoch, default);
        var load = Assert.Single(runner.Commands, c => c.Program == "nft");
        Assert.Contains("ip saddr @in0_src_v4 ip daddr @self_v4 tcp dport 631 accept", load.Stdin, StringComparison.Ordinal);
        Assert.DoesNotContain("chain forward", load.Stdin, StringComparison.Ordinal);
        Assert.Empty(sysctl.Writes);
        Assert.Contains("access-policy filter applied (2 inbound, 0 forward rules)", log.ToString(), StringComparison.Ordinal);

        await roles.ApplyAsync(state, Config(6, SshOnly), DateTimeOffset.UnixEpoch, default);
        Assert.Contains("tcp dport 22 accept", runner.Commands[^1].Stdin, StringComparison.Ordinal);

        await roles.ApplyAsync(state, Config(7), DateTimeOffset.UnixEpoch, default);
        Assert.Equal("table inet appliance\ndelete table inet appliance\n", runner.Commands[^1].Stdin);
        Assert.Empty(sysctl.Writes);
    }
}
