using System.Runtime.InteropServices;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Button;

/// <summary>
/// A key of an input device (<c>/dev/input/eventN</c>): what gpio-keys makes of a board's reset button, or any
/// keyboard. Reads <c>struct input_event</c> records with poll/read on a non-blocking descriptor.
/// </summary>
public sealed class EvdevButton : IButtonSource
{
    public const string InputClassDirectory = "/sys/class/input";

    private readonly int _fd;
    private readonly ushort _key;
    private readonly TimeProvider _clock;
    private readonly byte[] _buffer = new byte[EvdevCodec.EventSize * 16];
    private int _buffered;
    private int _offset;

    private EvdevButton(int fd, string path, ushort key, TimeProvider clock)
    {
        _fd = fd;
        _key = key;
        _clock = clock;
        Description = $"{path} key {key}";
    }

    public string Description { get; }

    /// <summary>Opens <paramref name="path"/>; throws <see cref="IOException"/> naming it when it cannot.</summary>
    public static EvdevButton Open(string path, ushort key, TimeProvider? clock = null)
    {
        var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path} (errno {Marshal.GetLastPInvokeError()})");
        }
        return new EvdevButton(fd, path, key, clock ?? TimeProvider.System);
    }

    /// <summary>
    /// The first input device whose key capabilities include <paramref name="key"/> (<c>/dev/input/eventN</c>), or null.
    /// </summary>
    public static string? Find(ushort key, string classDirectory = InputClassDirectory)
    {
        if (!Directory.Exists(classDirectory))
        {
            return null;
        }
        foreach (var dir in Directory.GetDirectories(classDirectory, "event*").Order(StringComparer.Ordinal))
        {
            try
            {
                if (EvdevCodec.HasCapability(File.ReadAllText(Path.Combine(dir, "device", "capabilities", "key")), key))
                {
                    return "/dev/input/" + Path.GetFileName(dir);
                }
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // A device that vanished or prints something else is not the button.
            }
        }
        return null;
    }

    public ButtonEdge? WaitForEdge(TimeSpan timeout)
    {
        var deadline = _clock.GetTimestamp() + (long)(timeout.TotalSeconds * _clock.TimestampFrequency);
        while (true)
        {
            while (_offset + EvdevCodec.EventSize <= _buffered)
            {
                var state = EvdevCodec.KeyState(_buffer.AsSpan(_offset, EvdevCodec.EventSize), _key);
                _offset += EvdevCodec.EventSize;
                if (state is { } pressed)
                {
                    return new ButtonEdge(pressed, _clock.GetUtcNow());
                }
            }
            _offset = _buffered = 0;
            var left = _clock.GetElapsedTime(_clock.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero || !Libc.PollIn(_fd, (int)Math.Ceiling(left.TotalMilliseconds)))
            {
                return null;
            }
            var n = Libc.Read(_fd, _buffer);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.EAGAIN or Libc.EINTR)
                {
                    continue;
                }
                throw new IOException($"reading {Description} failed (errno {errno}; ENODEV: the device is gone)");
            }
            if (n == 0)
            {
                // An input device never ends; a file or a pipe whose writer left does.
                throw new IOException($"{Description}: end of file (not an input device?)");
            }
            // The kernel hands out whole records only.
            _buffered = (int)n;
        }
    }

    public void Dispose() => Libc.close(_fd);
}
