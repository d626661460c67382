using System.Runtime.InteropServices;

namespace Appliance.Broker.Mosquitto.Interop;

/// <summary>libc signal delivery, used to make Mosquitto reload its files.</summary>
internal static class LibC
{
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int kill(int pid, int sig);
}
