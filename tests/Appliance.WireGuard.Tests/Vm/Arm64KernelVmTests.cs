using Appliance.TestSupport;

namespace Appliance.WireGuard.Tests.Vm;

/// <summary>
/// Kernel WireGuard on arm64 (issue #15): the same probe scenarios as <see cref="KernelVmTests"/>, built for
/// linux-arm64 (NativeAOT) and run in an arm64 VM booting Debian's arm64 kernel, so the netlink messages, struct
/// layouts and the generic-netlink dump parser are proven against a real arm64 kernel.
/// </summary>
public sealed class Arm64KernelVmTests(Arm64VmFixture vm) : IClassFixture<Arm64VmFixture>
{
    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void The_guest_runs_debians_arm64_kernel()
    {
        vm.AssertScenarioPassed("genl-family");
        Assert.Matches(@"@@INIT up t=\S+ kernel=\S+-arm64", vm.Run.Console);
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Backend_selector_finds_the_wireguard_genl_family_on_arm64() => vm.AssertScenarioPassed("genl-family");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Two_kernel_interfaces_one_in_another_netns_handshake_and_ping_on_arm64() => vm.AssertScenarioPassed("handshake-ping");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Thousand_peers_apply_read_back_and_reconcile_on_arm64() => vm.AssertScenarioPassed("peers-1000");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Ten_thousand_peers_apply_in_chunks_and_read_back_on_arm64() => vm.AssertScenarioPassed("peers-10000");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Kernel_errors_are_typed_and_failed_applies_change_nothing_on_arm64() => vm.AssertScenarioPassed("errors");
}
