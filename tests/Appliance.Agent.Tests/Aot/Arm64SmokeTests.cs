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
        using var work = new TempDirectory("appliance-arm64-smoke");
        var assembly = typeof(Arm64SmokeTests).Assembly.Location;
        var result = await QemuUserSmoke.RunAsync(assembly, ["--trait", "Category=" + TestCategories.Unit], work, TimeSpan.FromMinutes(10));
        output.WriteLine($"published in {result.PublishTime.TotalSeconds:F0} s, ran {result.Tests.Count} tests on {result.Architecture} in {result.RunTime.TotalSeconds:F0} s");

        Assert.True(result.ExitCode == 0 && result.Failed == 0, result.Output);
        Assert.Equal("Arm64", result.Architecture);
        // The parts the device depends on most are among what ran, and passed.
        foreach (var cls in new[] { nameof(MeshTranslatorTests), nameof(MeshUpdateGateTests), nameof(MeshUpdateGateLineageTests), nameof(StateStoreTests), nameof(RtLinkReconcilerTests) })
        {
            Assert.True(result.PassedIn(cls).Any(), $"no test of {cls} passed on arm64:\n{result.Output}");
        }
        // Only Unit tests ran: this test (Interop) is not among them, so it does not run itself.
        Assert.DoesNotContain(result.Tests, t => t.Name.Contains(nameof(Arm64SmokeTests), StringComparison.Ordinal));
        Assert.Equal(0, result.Skipped);
    }
}
