using System.Runtime.InteropServices;

namespace Appliance.Hardware.Display.Interop;

/// <summary>The i2c-dev character device interface (linux/i2c-dev.h, linux/i2c.h), with native names. No policy here.</summary>
internal static unsafe partial class I2cDev
{
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;

    public const nuint I2C_SLAVE = 0x0703;
    public const nuint I2C_FUNCS = 0x0705;
    public const nuint I2C_SMBUS = 0x0720;

    public const byte I2C_SMBUS_WRITE = 0;
    public const uint I2C_SMBUS_I2C_BLOCK_DATA = 8;
    public const int I2C_SMBUS_BLOCK_MAX = 32;

    public const ulong I2C_FUNC_I2C = 0x00000001;
    public const ulong I2C_FUNC_SMBUS_WRITE_I2C_BLOCK = 0x08000000;

    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EREMOTEIO = 121;
    public const int EINTR = 4;

    /// <summary>struct i2c_smbus_ioctl_data.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct i2c_smbus_ioctl_data
    {
        public byte read_write;
        public byte command;
        public uint size;
        public byte* data; // union i2c_smbus_data: block[0] = length, then up to 32 bytes (34 with the PEC slot)
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string pathname, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, nuint arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nint count);

    /// <summary>write(2) of one whole transfer; returns the byte count or -1 (errno in GetLastPInvokeError).</summary>
    public static nint WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            return write(fd, p, bytes.Length);
        }
    }

    /// <summary>I2C_SMBUS ioctl, I2C block write: <paramref name="command"/> then up to 32 <paramref name="block"/> bytes.</summary>
    public static int SmbusWriteI2cBlock(int fd, byte command, ReadOnlySpan<byte> block)
    {
        var data = stackalloc byte[I2C_SMBUS_BLOCK_MAX + 2];
        data[0] = (byte)block.Length;
        block.CopyTo(new Span<byte>(data + 1, I2C_SMBUS_BLOCK_MAX + 1));
        var args = new i2c_smbus_ioctl_data { read_write = I2C_SMBUS_WRITE, command = command, size = I2C_SMBUS_I2C_BLOCK_DATA, data = data };
        return ioctl(fd, I2C_SMBUS, &args);
    }

    /// <summary>I2C_FUNCS ioctl: the adapter's functionality bits, or -1.</summary>
    public static int Funcs(int fd, out ulong funcs)
    {
        ulong f = 0;
        var r = ioctl(fd, I2C_FUNCS, &f);
        funcs = f;
        return r;
    }
}
