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
        using var work = new TempDirectory("appliance-arm64-smoke");
        var result = await QemuUserSmoke.RunAsync(typeof(Arm64SmokeTests).Assembly.Location, ["--trait", "Category=" + TestCategories.Unit], work, TimeSpan.FromMinutes(10));
        output.WriteLine($"published in {result.PublishTime.TotalSeconds:F0} s, ran {result.Tests.Count} tests on {result.Architecture} in {result.RunTime.TotalSeconds:F0} s");

        Assert.True(result.ExitCode == 0 && result.Failed == 0, result.Output);
        Assert.Equal("Arm64", result.Architecture);
        foreach (var cls in new[] { nameof(InteropLayoutTests), nameof(GenericNetlinkGoldenTests), nameof(RtNetlinkGoldenTests), nameof(NetlinkReaderTests) })
        {
            Assert.True(result.PassedIn(cls).Any(), $"no test of {cls} passed on arm64:\n{result.Output}");
        }
        Assert.Equal(0, result.Skipped);
    }
}
