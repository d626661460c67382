using Appliance.TestSupport;
using Appliance.TestSupport.Arm64;
using Xunit.Abstractions;

namespace Appliance.Netlink.Tests;

/// <summary>
/// The netlink unit tests run on linux-arm64 too (issue #15), under qemu-user: the interop struct sizes and offsets
/// and the golden netlink messages are what an arm64 device sends its kernel.
/// </summary>
public sealed class Arm64SmokeTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task The_netlink_unit_tests_pass_on_arm64_under_qemu_user()
    {
        await QemuUserSmoke.AssertUnitTestsPassAsync(typeof(Arm64SmokeTests), [nameof(InteropLayoutTests), nameof(GenericNetlinkGoldenTests), nameof(RtNetlinkGoldenTests), nameof(NetlinkReaderTests)], output);
    }
}
