using System.Runtime.InteropServices;

#pragma warning disable CS8981 // native names (pollfd), as in the header
namespace Appliance.Hardware.Interop;

/// <summary>The few libc calls the device seams need (open, read, write, poll, ioctl, close), with their native names and errno values.</summary>
internal static partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint read(int fd, byte* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint write(int fd, byte* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int poll(pollfd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int ioctl(int fd, nuint request, int* arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int ioctl_buffer(int fd, nuint request, byte* arg);

    /// <summary>An ioctl whose argument is a struct the caller encoded into <paramref name="arg"/> (the kernel may write back into it).</summary>
    public static unsafe int Ioctl(int fd, nuint request, Span<byte> arg)
    {
        fixed (byte* p = arg)
        {
            return ioctl_buffer(fd, request, p);
        }
    }

    public static unsafe nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return read(fd, p, buffer.Length);
        }
    }

    public static unsafe nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return write(fd, p, buffer.Length);
        }
    }

    /// <summary>poll(2) on one descriptor for input: true when readable, false on timeout.</summary>
    public static unsafe bool PollIn(int fd, int timeoutMs)
    {
        var p = new pollfd { fd = fd, events = POLLIN };
        var rc = poll(&p, 1, timeoutMs);
        if (rc < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == EINTR ? false : throw new IOException($"poll failed (errno {errno})");
        }
        return rc > 0;
    }

    public static unsafe int Ioctl(int fd, nuint request, ref int value)
    {
        fixed (int* p = &value)
        {
            return ioctl(fd, request, p);
        }
    }
}
