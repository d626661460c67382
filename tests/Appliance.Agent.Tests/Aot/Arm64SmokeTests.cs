using Appliance.TestSupport;
using Appliance.TestSupport.Arm64;
using Xunit.Abstractions;

namespace Appliance.Agent.Tests.Aot;

/// <summary>
/// The agent's unit tests run on linux-arm64 too (issue #15), under qemu-user: the translator, the update gate with
/// its signatures, the route plans, the state store and the rest of the Unit category, with xunit's own runner in an
/// arm64 .NET runtime, so a difference of the arm64 runtime (alignment, atomics, crypto through arm64 OpenSSL) fails here.
/// </summary>
public sealed class Arm64SmokeTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task The_agents_unit_tests_pass_on_arm64_under_qemu_user()
    {
        await QemuUserSmoke.AssertUnitTestsPassAsync(typeof(Arm64SmokeTests), [nameof(MeshTranslatorTests), nameof(MeshUpdateGateTests), nameof(MeshUpdateGateLineageTests), nameof(StateStoreTests), nameof(RtLinkReconcilerTests)], output);
    }
}
