using Appliance.TestSupport;
using Appliance.TestSupport.Arm64;
using Xunit.Abstractions;

namespace Appliance.WireGuard.Tests;

/// <summary>
/// The WireGuard unit tests run on linux-arm64 too (issue #15), under qemu-user: the generic-netlink messages of
/// kernel WireGuard (golden bytes, chunking, parsing), the UAPI codec and the reconciler, as an arm64 device runs them.
/// </summary>
public sealed class Arm64SmokeTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task The_wireguard_unit_tests_pass_on_arm64_under_qemu_user()
    {
        await QemuUserSmoke.AssertUnitTestsPassAsync(typeof(Arm64SmokeTests), [nameof(WgGenlGoldenTests), nameof(WgGenlChunkingTests), nameof(WgGenlParserTests), nameof(UapiCodecTests), nameof(WgReconcilerTests)], output);
    }
}
