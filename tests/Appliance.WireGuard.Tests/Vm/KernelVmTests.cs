using Appliance.TestSupport;

namespace Appliance.WireGuard.Tests.Vm;

/// <summary>
/// Kernel WireGuard, proven in a qemu VM booting Debian's stock kernel: the probe (our library, netlink only)
/// creates and configures interfaces; the guest's <c>wg show</c> reads back independently.
/// </summary>
public sealed class KernelVmTests : IClassFixture<VmFixture>
{
    private readonly VmFixture _vm;

    public KernelVmTests(VmFixture vm)
    {
        _vm = vm;
    }

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Backend_selector_finds_the_wireguard_genl_family() => _vm.AssertScenarioPassed("genl-family");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Two_kernel_interfaces_one_in_another_netns_handshake_and_ping() => _vm.AssertScenarioPassed("handshake-ping");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Thousand_peers_apply_read_back_and_reconcile() => _vm.AssertScenarioPassed("peers-1000");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Ten_thousand_peers_apply_in_chunks_and_read_back() => _vm.AssertScenarioPassed("peers-10000");

    [Fact]
    [Trait("Category", TestCategories.Vm)]
    public void Kernel_errors_are_typed_and_failed_applies_change_nothing() => _vm.AssertScenarioPassed("errors");
}
