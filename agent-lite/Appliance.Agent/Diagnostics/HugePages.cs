using System.Runtime.InteropServices;

namespace Appliance.Agent.Diagnostics;

/// <summary>
/// Turns transparent huge pages off for the agent's process (<c>prctl(PR_SET_THP_DISABLE)</c>, Linux 3.15+). Where the
/// kernel has THP "always" (Debian's), a thread's 8 MiB stack that grows across a 2 MiB-aligned boundary is backed by
/// a whole 2 MiB huge page for a few KiB used: `HardwareRssVmTests`' smaps showed one such stack (AnonHugePages 2048 kB)
/// in the agent with hardware and not in the one without, the +2 MB of issue #17's measurements (docs/BENCHMARKS.md
/// "Agent memory with status hardware"). The agent's memory is small and not TLB-bound: 4 KiB pages cost nothing.
/// Applies to faults from now on; pages already huge stay so.
/// </summary>
public static class HugePages
{
    /// <summary>linux/prctl.h.</summary>
    private const int PR_SET_THP_DISABLE = 41;
    private const int PR_GET_THP_DISABLE = 42;

    /// <summary>Disables THP for this process; false when the kernel refuses (too old, or not Linux).</summary>
    public static bool DisableForProcess()
    {
        try
        {
            return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>True when THP is disabled for this process (PR_GET_THP_DISABLE).</summary>
    public static bool IsDisabled()
    {
        try
        {
            return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
