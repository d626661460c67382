using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Hardware.Button;

namespace Appliance.HardwareVmProbe;

/// <summary>
/// A virtual input device through /dev/uinput (linux/uinput.h): a key the test presses, or LEDs that input-leds
/// turns into LED class devices (<c>/sys/class/leds/inputN::capslock</c>).
/// </summary>
internal sealed partial class UInputDevice : IDisposable
{
    // _IOW('U', 100/101/105, int), _IOW('U', 3, struct uinput_setup) (92 bytes), _IO('U', 1/2).
    private const nuint UI_SET_EVBIT = 0x40045564;
    private const nuint UI_SET_KEYBIT = 0x40045565;
    private const nuint UI_SET_LEDBIT = 0x40045569;
    private const nuint UI_DEV_SETUP = 0x405c5503;
    private const nuint UI_DEV_CREATE = 0x5501;
    private const nuint UI_DEV_DESTROY = 0x5502;
    private const ushort EV_SYN = 0, EV_KEY = 1, EV_LED = 0x11;

    private readonly int _fd;

    private UInputDevice(int fd, string name)
    {
        _fd = fd;
        Name = name;
    }

    public string Name { get; }

    public static UInputDevice Create(string name, IReadOnlyList<ushort> keys, IReadOnlyList<ushort> leds)
    {
        var fd = open("/dev/uinput", 1 | 0x800); // O_WRONLY | O_NONBLOCK
        Check(fd, "open /dev/uinput");
        if (keys.Count > 0)
        {
            Check(ioctl(fd, UI_SET_EVBIT, EV_KEY), "UI_SET_EVBIT EV_KEY");
            foreach (var k in keys)
            {
                Check(ioctl(fd, UI_SET_KEYBIT, k), "UI_SET_KEYBIT");
            }
        }
        if (leds.Count > 0)
        {
            Check(ioctl(fd, UI_SET_EVBIT, EV_LED), "UI_SET_EVBIT EV_LED");
            foreach (var l in leds)
            {
                Check(ioctl(fd, UI_SET_LEDBIT, l), "UI_SET_LEDBIT");
            }
        }
        // struct uinput_setup { struct input_id { u16 bustype, vendor, product, version }; char name[80]; u32 ff_effects_max; }
        var setup = new byte[92];
        BinaryPrimitives.WriteUInt16LittleEndian(setup, 0x06); // BUS_VIRTUAL
        BinaryPrimitives.WriteUInt16LittleEndian(setup.AsSpan(2), 0x1d6b);
        BinaryPrimitives.WriteUInt16LittleEndian(setup.AsSpan(4), 0x0104);
        Encoding.ASCII.GetBytes(name).CopyTo(setup, 8);
        unsafe
        {
            fixed (byte* p = setup)
            {
                Check(ioctl(fd, UI_DEV_SETUP, (nint)p), "UI_DEV_SETUP");
            }
        }
        Check(ioctl(fd, UI_DEV_CREATE, 0), "UI_DEV_CREATE");
        return new UInputDevice(fd, name);
    }

    public void Key(ushort code, bool down)
    {
        Emit(EV_KEY, code, down ? 1 : 0);
        Emit(EV_SYN, 0, 0);
    }

    private void Emit(ushort type, ushort code, int value)
    {
        var record = new byte[EvdevCodec.EventSize];
        EvdevCodec.Write(record, type, code, value);
        unsafe
        {
            fixed (byte* p = record)
            {
                Check((int)write(_fd, p, record.Length), "write uinput");
            }
        }
    }

    /// <summary>/sys/class/input/inputN of this device (by its name).</summary>
    public string? SysfsInput() =>
        Directory.GetDirectories("/sys/class/input", "input*").FirstOrDefault(d => File.Exists(Path.Combine(d, "name")) && File.ReadAllText(Path.Combine(d, "name")).Trim() == Name);

    public void Dispose()
    {
        ioctl(_fd, UI_DEV_DESTROY, 0);
        close(_fd);
    }

    private static void Check(int rc, string what)
    {
        if (rc < 0)
        {
            throw new IOException($"{what} failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, nint arg);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buf, nint count);
}
