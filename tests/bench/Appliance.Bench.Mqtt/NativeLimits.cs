using System.Runtime.InteropServices;

namespace Appliance.Bench.Mqtt;

/// <summary>Raises the open-file limit to the hard limit (ulimit -n), so 10,000 sockets fit.</summary>
internal static class NativeLimits
{
    private const int RLIMIT_NOFILE = 7;

    public static ulong RaiseOpenFiles()
    {
        if (getrlimit(RLIMIT_NOFILE, out var limit) != 0)
        {
            return 0;
        }
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, ref limit);
        return limit.rlim_cur;
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int getrlimit(int resource, out RLimit rlim);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setrlimit(int resource, ref RLimit rlim);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }
}
