using System.Runtime.InteropServices;
using Appliance.Hardware.Display.Interop;

namespace Appliance.Hardware.Display;

/// <summary>
/// An I²C target through the kernel's i2c-dev (<c>/dev/i2c-N</c>). A transfer goes as one plain I²C write when the
/// adapter can do them, otherwise as an SMBus I²C-block write (the same bytes on the wire: the first byte as the
/// "command", the rest as the block), so SMBus-only adapters (PC SMBus controllers, <c>i2c-stub</c>) work too.
/// </summary>
public sealed class LinuxI2cBus : II2cBus
{
    private readonly int _fd;
    private readonly bool _plainI2c;
    private readonly string _path;
    private readonly int _address;
    private bool _disposed;

    private LinuxI2cBus(int fd, bool plainI2c, string path, DisplayAddress address)
    {
        _fd = fd;
        _plainI2c = plainI2c;
        _path = path;
        _address = address.Address;
        Address = address;
    }

    public string Name => $"{_path} 0x{_address:x2}";

    public DisplayAddress Address { get; }

    /// <summary>Opens the bus and selects the target's address; nothing is sent yet. Errors name the device and the cause.</summary>
    public static LinuxI2cBus Open(DisplayAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Open(address.DevicePath, address);
    }

    /// <summary><see cref="Open(DisplayAddress)"/> for any device node (tests point it at nodes that are not adapters).</summary>
    internal static LinuxI2cBus Open(string devicePath, DisplayAddress target)
    {
        var address = target.Address;
        var fd = I2cDev.open(devicePath, I2cDev.O_RDWR | I2cDev.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new DisplayUnavailableException(errno switch
            {
                I2cDev.ENOENT => $"no {devicePath}: the I2C bus is not enabled (Raspberry Pi: dtparam=i2c_arm=on) or i2c-dev is not loaded",
                I2cDev.EACCES => $"no permission to open {devicePath}",
                _ => $"cannot open {devicePath}: {Marshal.GetPInvokeErrorMessage(errno)}",
            });
        }
        try
        {
            if (I2cDev.Funcs(fd, out var funcs) < 0)
            {
                throw new DisplayUnavailableException($"{devicePath} is not an I2C adapter: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            var plain = (funcs & I2cDev.I2C_FUNC_I2C) != 0;
            if (!plain && (funcs & I2cDev.I2C_FUNC_SMBUS_WRITE_I2C_BLOCK) == 0)
            {
                throw new DisplayUnavailableException($"{devicePath} can do neither plain I2C writes nor SMBus block writes (functionality 0x{funcs:x8})");
            }
            if (I2cDev.ioctl(fd, I2cDev.I2C_SLAVE, (nuint)address) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new DisplayUnavailableException(errno == I2cDev.EBUSY
                    ? $"0x{address:x2} on {devicePath} is taken by a kernel driver (ssd130x/ssd1307fb?): unbind it to drive the display from the agent"
                    : $"cannot select 0x{address:x2} on {devicePath}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return new LinuxI2cBus(fd, plain, devicePath, target);
        }
        catch
        {
            I2cDev.close(fd);
            throw;
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (bytes.IsEmpty || bytes.Length > Ssd1306I2cDevice.MaxPayload + 1)
        {
            throw new ArgumentException($"one transfer is 1..{Ssd1306I2cDevice.MaxPayload + 1} bytes, not {bytes.Length}", nameof(bytes));
        }
        while (true)
        {
            var r = _plainI2c ? (int)I2cDev.WriteAll(_fd, bytes) : I2cDev.SmbusWriteI2cBlock(_fd, bytes[0], bytes[1..]);
            if (r >= 0)
            {
                if (_plainI2c && r != bytes.Length)
                {
                    throw new DisplayUnavailableException($"{Name}: short write ({r} of {bytes.Length} bytes)");
                }
                return;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == I2cDev.EINTR)
            {
                continue;
            }
            // ENXIO / EREMOTEIO: the address was not acknowledged; ENODEV: no device there (i2c-stub), EIO: bus error.
            throw new DisplayUnavailableException(errno is I2cDev.ENXIO or I2cDev.EREMOTEIO or I2cDev.ENODEV or I2cDev.EIO
                ? $"no answer (ACK) from 0x{_address:x2} on {_path}: is the display connected, and at that address?"
                : $"{Name}: write failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            I2cDev.close(_fd);
        }
    }
}
