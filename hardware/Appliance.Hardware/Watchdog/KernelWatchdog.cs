using System.Runtime.InteropServices;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Watchdog;

/// <summary>
/// The kernel watchdog device (linux/watchdog.h): opening <c>/dev/watchdog</c> arms it, every write feeds it, and
/// writing the magic character 'V' before closing disarms it (a stop on purpose); a process that dies or hangs
/// without the magic close gets the machine reset when the timeout passes.
/// </summary>
public sealed class KernelWatchdog : IWatchdog
{
    // _IOR('W', 5, int) and _IOWR('W', 6/7, int): WDIOC_KEEPALIVE, WDIOC_SETTIMEOUT, WDIOC_GETTIMEOUT.
    private const uint WDIOC_KEEPALIVE = 0x80045705;
    private const uint WDIOC_SETTIMEOUT = 0xC0045706;
    private const uint WDIOC_GETTIMEOUT = 0x80045707;

    private int _fd;

    private KernelWatchdog(int fd, string path, TimeSpan timeout)
    {
        _fd = fd;
        Description = path;
        Timeout = timeout;
    }

    public string Description { get; }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// Opens and arms <paramref name="path"/>, asking for <paramref name="timeout"/> where the driver supports
    /// WDIOC_SETTIMEOUT (it may round it, or keep its own: <see cref="Timeout"/> is what it says it uses).
    /// </summary>
    public static KernelWatchdog Open(string path, TimeSpan? timeout = null)
    {
        var fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path} (errno {Marshal.GetLastPInvokeError()}; EBUSY: another process holds it)");
        }
        if (timeout is { } wanted)
        {
            var seconds = (int)Math.Clamp(wanted.TotalSeconds, 1, 3600);
            // Not every driver can change its timeout (EINVAL/ENOTTY): then its own counts.
            Libc.Ioctl(fd, WDIOC_SETTIMEOUT, ref seconds);
        }
        var actual = 0;
        var known = Libc.Ioctl(fd, WDIOC_GETTIMEOUT, ref actual) == 0 && actual > 0;
        return new KernelWatchdog(fd, path, TimeSpan.FromSeconds(known ? actual : (int)(timeout?.TotalSeconds ?? 60)));
    }

    public void Feed()
    {
        var dummy = 0;
        if (Libc.Ioctl(_fd, WDIOC_KEEPALIVE, ref dummy) != 0 && Libc.Write(_fd, "\0"u8) < 0)
        {
            throw new IOException($"feeding {Description} failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>The magic close: 'V' then close disarms the watchdog (unless the kernel was built with nowayout).</summary>
    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.Write(_fd, "V"u8);
            Libc.close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Closes without the magic character: the watchdog stays armed (what a crash looks like to it).</summary>
    public void Abandon()
    {
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
    }
}
