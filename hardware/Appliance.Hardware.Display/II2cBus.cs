namespace Appliance.Hardware.Display;

/// <summary>
/// One I²C target on one bus (the address is fixed when it is opened). Each <see cref="Write"/> is one transfer:
/// START, address, the bytes, STOP. A target that does not answer throws <see cref="DisplayUnavailableException"/>.
/// </summary>
public interface II2cBus : IDisposable
{
    /// <summary>Where the target is, for log lines: "/dev/i2c-1 0x3c".</summary>
    string Name { get; }

    /// <summary>The bus number and 7-bit address of the target.</summary>
    DisplayAddress Address { get; }

    /// <summary>Writes 1..<see cref="Ssd1306I2cDevice.MaxPayload"/> + 1 bytes in one transfer.</summary>
    void Write(ReadOnlySpan<byte> bytes);
}
