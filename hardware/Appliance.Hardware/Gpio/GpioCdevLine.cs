using System.Runtime.InteropServices;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Gpio;

/// <summary>
/// A line of <c>/dev/gpiochipN</c> through the GPIO character device v2 (Linux 5.10+): the chip is asked for its
/// info (to name a line it does not have), then for the line with <c>GPIO_V2_GET_LINE_IOCTL</c>; the chip's
/// descriptor is closed and the line's descriptor is polled and read. Used when System.Device.Gpio's LibGpiodDriver
/// cannot be (<see cref="GpioDriverChoice"/>): no library needed, and the kernel's debounce and event timestamps.
/// </summary>
public sealed class GpioCdevLine : IGpioLine
{
    private readonly int _fd;

    private GpioCdevLine(int fd, string description)
    {
        _fd = fd;
        Description = description;
    }

    public string Description { get; }

    /// <summary>Asks <paramref name="chipPath"/> for its name, label and line count; throws <see cref="IOException"/> saying what was wrong.</summary>
    public static GpioChipInfo ReadChipInfo(string chipPath)
    {
        var chip = OpenChip(chipPath);
        try
        {
            return ReadChipInfo(chip, chipPath);
        }
        finally
        {
            Libc.close(chip);
        }
    }

    /// <summary>Requests <paramref name="request"/>'s line of <paramref name="chipPath"/>; throws <see cref="IOException"/> saying what was wrong.</summary>
    public static GpioCdevLine Open(string chipPath, GpioLineRequest request)
    {
        var chip = OpenChip(chipPath);
        try
        {
            var chipInfo = ReadChipInfo(chip, chipPath);
            var description = $"{chipPath} [{chipInfo.Label}] line {request.Line}";
            if (request.Line >= chipInfo.Lines)
            {
                throw new IOException(NoSuchLine(chipPath, chipInfo, request.Line));
            }
            Span<byte> req = stackalloc byte[GpioCodec.RequestSize];
            GpioCodec.WriteLineRequest(req, request);
            if (Libc.Ioctl(chip, gpio_v2.GPIO_V2_GET_LINE_IOCTL, req) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException(errno switch
                {
                    Libc.EBUSY => $"{description} is in use (a gpio-keys overlay or another program holds it; gpioinfo shows who)",
                    Libc.ENOTTY => $"{chipPath}: this kernel has no GPIO character device v2 (Linux 5.10 or later)",
                    _ => $"{description}: the kernel refused the line request (errno {errno})",
                });
            }
            return new GpioCdevLine(GpioCodec.ReadRequestFd(req), description);
        }
        finally
        {
            // The line's descriptor stays valid on its own.
            Libc.close(chip);
        }
    }

    /// <summary>
    /// Whether the kernel still has the GPIO character device's uAPI v1 (CONFIG_GPIO_CDEV_V1), which libgpiod 1.x
    /// uses for everything after opening the chip: asks <paramref name="chipPath"/> for line 0's v1 info.
    /// </summary>
    public static bool HasUapiV1(string chipPath)
    {
        var chip = OpenChip(chipPath);
        try
        {
            Span<byte> info = stackalloc byte[gpio_v2.LineInfoV1Size];
            info.Clear();
            return Libc.Ioctl(chip, gpio_v2.GPIO_GET_LINEINFO_IOCTL, info) >= 0
                || Marshal.GetLastPInvokeError() is not (Libc.EINVAL or Libc.ENOTTY);
        }
        finally
        {
            Libc.close(chip);
        }
    }

    /// <summary>What a request for a line the chip does not have is told.</summary>
    public static string NoSuchLine(string chipPath, GpioChipInfo chip, uint line) =>
        $"{chipPath} [{chip.Label}] has {chip.Lines} lines (0..{(int)chip.Lines - 1}); there is no line {line}";

    private static int OpenChip(string chipPath)
    {
        var chip = Libc.open(chipPath, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (chip < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno switch
            {
                Libc.ENOENT => $"no {chipPath} (ls /dev/gpiochip*; gpiodetect names the chips)",
                Libc.EACCES => $"{chipPath}: permission denied",
                _ => $"cannot open {chipPath} (errno {errno})",
            });
        }
        return chip;
    }

    private static GpioChipInfo ReadChipInfo(int chip, string chipPath)
    {
        Span<byte> info = stackalloc byte[GpioCodec.ChipInfoSize];
        info.Clear();
        if (Libc.Ioctl(chip, gpio_v2.GPIO_GET_CHIPINFO_IOCTL, info) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno is Libc.ENOTTY or Libc.EINVAL ? $"{chipPath} is not a GPIO chip" : $"{chipPath}: GPIO_GET_CHIPINFO failed (errno {errno})");
        }
        return GpioCodec.ReadChipInfo(info);
    }

    public int ReadEvents(Span<byte> buffer, TimeSpan timeout)
    {
        if (buffer.Length < GpioCodec.EventSize)
        {
            throw new ArgumentException($"room for at least one {GpioCodec.EventSize}-byte event is needed", nameof(buffer));
        }
        if (!Libc.PollIn(_fd, (int)Math.Ceiling(Math.Max(0, timeout.TotalMilliseconds))))
        {
            return 0;
        }
        var n = Libc.Read(_fd, buffer[..(buffer.Length / GpioCodec.EventSize * GpioCodec.EventSize)]);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Libc.EAGAIN or Libc.EINTR ? 0 : throw new IOException($"reading {Description} failed (errno {errno}; ENODEV: the chip is gone)");
        }
        // The kernel hands out whole records only, and a line descriptor never ends.
        return n == 0 ? throw new IOException($"{Description}: end of file") : (int)n;
    }

    public void Dispose() => Libc.close(_fd);
}
