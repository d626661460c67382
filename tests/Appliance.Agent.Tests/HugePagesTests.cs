using Appliance.Agent.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class HugePagesTests
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void The_kernel_takes_the_process_wide_thp_switch_and_reports_it_back()
    {
        // The real prctl on this kernel (for this test process too: harmless, it only means 4 KiB pages from now on).
        Assert.True(HugePages.DisableForProcess());

        Assert.True(HugePages.IsDisabled());
        var status = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("THP_enabled:", StringComparison.Ordinal));
        // Linux 6.x prints the switch in /proc/PID/status; older kernels do not have the line.
        if (status is not null)
        {
            Assert.Equal("0", status.Split(':')[1].Trim());
        }
    }
}
