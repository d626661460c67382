using Appliance.Gateway.Commands;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>The role reconciler over a fake command runner and fake sysctl: order, idempotence, cleanup, failure.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class ReconcilerTests : IDisposable
{
    private readonly TempDirectory _dir = new("apgw-rec");
    private readonly FakeSysctl _sysctl = new();

    private string StateFile => _dir.Combine("forwarding.state");

    private GatewayRoleReconciler Reconciler(FakeCommandRunner runner) =>
        new(new NftablesFirewallBackend(runner), new ForwardingSysctl(_sysctl, StateFile));

    [Fact]
    public async Task Apply_loads_one_ruleset_then_turns_forwarding_on()
    {
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        Assert.True(await r.ApplyAsync(Specs.DualStackNat()));
        var cmd = Assert.Single(runner.Commands);
        Assert.Equal("nft -f -", cmd.Line);
        Assert.Equal(NftRulesetRenderer.Render(GatewayFirewallPlan.Create(Specs.DualStackNat())), cmd.Stdin);
        Assert.Equal(["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"], _sysctl.Writes);
        Assert.Equal("0", new ForwardingSysctl(_sysctl, StateFile).RecordedPriorValues[ForwardingSysctl.Ipv4Key]);
    }

    [Fact]
    public async Task Same_spec_twice_runs_no_command_the_second_time()
    {
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        await r.ApplyAsync(Specs.DualStackNat());
        runner.Commands.Clear();
        _sysctl.Writes.Clear();
        Assert.False(await r.ApplyAsync(Specs.DualStackNat()));
        Assert.Empty(runner.Commands);
        Assert.Empty(_sysctl.Writes);
    }

    [Fact]
    public async Task Changing_one_client_is_one_reload()
    {
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        await r.ApplyAsync(Specs.Large(1000, 20));
        runner.Commands.Clear();
        _sysctl.Reads.Clear();
        Assert.True(await r.ApplyAsync(Specs.Large(1000, 20, disabledOffset: 1)));
        Assert.Equal(["nft -f -"], runner.Lines);
        Assert.Empty(_sysctl.Reads);
    }

    [Fact]
    public async Task Remove_restores_forwarding_first_then_deletes_our_table_and_state()
    {
        _sysctl.Values[ForwardingSysctl.Ipv6Key] = "1";
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        await r.ApplyAsync(Specs.DualStackNat());
        runner.Commands.Clear();
        var sysctlWritesBefore = _sysctl.Writes.Count;
        Assert.True(await r.ApplyAsync(null));
        Assert.Equal(["nft -f -"], runner.Lines);
        Assert.Equal(NftRulesetRenderer.RenderRemoval(), runner.Commands[0].Stdin);
        Assert.Equal("0", _sysctl.Values[ForwardingSysctl.Ipv4Key]);
        Assert.Equal("1", _sysctl.Values[ForwardingSysctl.Ipv6Key]);
        Assert.Equal(["net.ipv4.ip_forward=0"], _sysctl.Writes.Skip(sysctlWritesBefore));
        Assert.False(File.Exists(StateFile));

        runner.Commands.Clear();
        Assert.False(await r.RemoveAsync());
        Assert.Empty(runner.Commands);
    }

    [Fact]
    public async Task A_new_reconciler_restores_from_the_state_file_after_a_restart()
    {
        await Reconciler(new FakeCommandRunner()).ApplyAsync(Specs.DualStackNat());
        Assert.Equal("1", _sysctl.Values[ForwardingSysctl.Ipv4Key]);
        var runner = new FakeCommandRunner();
        await Reconciler(runner).RemoveAsync();
        Assert.Equal("0", _sysctl.Values[ForwardingSysctl.Ipv4Key]);
        Assert.Equal("0", _sysctl.Values[ForwardingSysctl.Ipv6Key]);
        Assert.Equal(["nft -f -"], runner.Lines);
    }

    [Fact]
    public async Task Dropping_ipv6_from_the_mesh_restores_only_ipv6_forwarding()
    {
        var r = Reconciler(new FakeCommandRunner());
        await r.ApplyAsync(Specs.DualStackNat());
        await r.ApplyAsync(Specs.RoutedV4());
        Assert.Equal("1", _sysctl.Values[ForwardingSysctl.Ipv4Key]);
        Assert.Equal("0", _sysctl.Values[ForwardingSysctl.Ipv6Key]);
        Assert.Equal(["net.ipv4.ip_forward"], new ForwardingSysctl(_sysctl, StateFile).RecordedPriorValues.Keys);
    }

    [Fact]
    public async Task Bad_spec_changes_nothing()
    {
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        await Assert.ThrowsAsync<GatewaySpecException>(() => r.ApplyAsync(Specs.DualStackNat() with { MeshRanges = ["10.10.0.0/240"] }));
        Assert.Empty(runner.Commands);
        Assert.Empty(_sysctl.Writes);
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task Failed_load_leaves_forwarding_off_and_is_retried_next_time()
    {
        var fail = true;
        var runner = new FakeCommandRunner((_, _, _) => fail ? new CommandResult(1, "", "Error: Could not process rule: No such file or directory") : FakeCommandRunner.Ok());
        var r = Reconciler(runner);
        var e = await Assert.ThrowsAsync<FirewallCommandException>(() => r.ApplyAsync(Specs.DualStackNat()));
        Assert.Contains("nft -f - exited 1: Error: Could not process rule", e.Message, StringComparison.Ordinal);
        Assert.Empty(_sysctl.Writes);
        Assert.Null(r.Applied);

        fail = false;
        Assert.True(await r.ApplyAsync(Specs.DualStackNat()));
        Assert.Equal(2, runner.Commands.Count);
    }

    [Fact]
    public async Task Repair_reapplies_only_when_our_rules_are_gone()
    {
        var tables = "table inet appliance\n";
        var runner = new FakeCommandRunner((_, a, _) => FakeCommandRunner.Ok(a[0] == "list" ? tables : ""));
        var r = Reconciler(runner);
        Assert.False(await r.RepairAsync());
        Assert.Empty(runner.Commands);
        await r.ApplyAsync(Specs.DualStackNat());
        runner.Commands.Clear();
        Assert.False(await r.RepairAsync());
        Assert.Equal(["nft list tables"], runner.Lines);

        tables = "table inet other\n";
        runner.Commands.Clear();
        Assert.True(await r.RepairAsync());
        Assert.Equal(["nft list tables", "nft -f -"], runner.Lines);
    }

    [Fact]
    public async Task Spec_without_roles_is_a_removal()
    {
        var runner = new FakeCommandRunner();
        var r = Reconciler(runner);
        await r.ApplyAsync(Specs.DualStackNat());
        Assert.True(await r.ApplyAsync(new GatewayFirewallSpec { MeshInterface = "wg0", MeshRanges = ["10.10.0.0/24"] }));
        Assert.Equal(NftRulesetRenderer.RenderRemoval(), runner.Commands[^1].Stdin);
    }

    public void Dispose() => _dir.Dispose();
}
