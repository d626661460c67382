using System.Runtime.InteropServices;

namespace Appliance.WireGuard.Interop;

/// <summary>kill(2), to ask a child process to exit (SIGTERM) before forcing it (Process.Kill sends SIGKILL).</summary>
internal static class LibcSignal
{
    public const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int kill(int pid, int sig);
}
