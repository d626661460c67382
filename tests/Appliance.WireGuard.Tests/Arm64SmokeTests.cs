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
        using var work = new TempDirectory("appliance-arm64-smoke");
        var result = await QemuUserSmoke.RunAsync(typeof(Arm64SmokeTests).Assembly.Location, ["--trait", "Category=" + TestCategories.Unit], work, TimeSpan.FromMinutes(10));
        output.WriteLine($"published in {result.PublishTime.TotalSeconds:F0} s, ran {result.Tests.Count} tests on {result.Architecture} in {result.RunTime.TotalSeconds:F0} s");

        Assert.True(result.ExitCode == 0 && result.Failed == 0, result.Output);
        Assert.Equal("Arm64", result.Architecture);
        foreach (var cls in new[] { nameof(WgGenlGoldenTests), nameof(WgGenlChunkingTests), nameof(WgGenlParserTests), nameof(UapiCodecTests), nameof(WgReconcilerTests) })
        {
            Assert.True(result.PassedIn(cls).Any(), $"no test of {cls} passed on arm64:\n{result.Output}");
        }
        Assert.Equal(0, result.Skipped);
    }
}
