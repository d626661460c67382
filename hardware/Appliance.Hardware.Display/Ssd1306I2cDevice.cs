using System.Device.I2c;

namespace Appliance.Hardware.Display;

/// <summary>
/// The <see cref="I2cDevice"/> that Iot.Device.Ssd13xx's <c>Ssd1306</c> writes to, over one of our <see cref="II2cBus"/>
/// targets. The binding writes a control byte and everything after it in one call (a whole frame is 1 KiB); this
/// splits it into transfers of at most <see cref="MaxPayload"/> bytes after the control byte, the size of an SMBus
/// I²C-block write, so the same stream goes to a full I²C adapter (plain writes) and to SMBus-only ones (PC SMBus,
/// <c>i2c-stub</c>), which System.Device.Gpio's own Linux I2cDevice cannot drive. Display RAM data (control byte 0x40)
/// is cut into chunks that each start with 0x40 again (the RAM pointer carries on); a command transfer (0x00) is
/// never split: a command cut in two would be read as two different commands. The bus stays the caller's.
/// </summary>
public sealed class Ssd1306I2cDevice : I2cDevice
{
    /// <summary>Bytes after the control byte in one transfer (I2C_SMBUS_BLOCK_MAX).</summary>
    public const int MaxPayload = 32;

    private readonly II2cBus _bus;

    public Ssd1306I2cDevice(II2cBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
        ConnectionSettings = new I2cConnectionSettings(bus.Address.Bus, bus.Address.Address);
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>Sends one control byte and its payload as one or more transfers (see the type's summary).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < 2)
        {
            throw new ArgumentException($"an SSD1306 write is a control byte and at least one byte, not {buffer.Length} bytes", nameof(buffer));
        }
        var control = buffer[0];
        if (control == Ssd1306Command.ControlCommands)
        {
            if (buffer.Length > MaxPayload + 1)
            {
                throw new ArgumentException($"a command transfer is at most {MaxPayload} bytes after the control byte, not {buffer.Length - 1}: commands are never split", nameof(buffer));
            }
            _bus.Write(buffer);
            return;
        }
        if (control != Ssd1306Command.ControlData)
        {
            // Co = 1 (0x80/0xC0) would interleave control bytes inside the payload; the binding never sends it.
            throw new ArgumentException($"an SSD1306 write starts with control byte 0x00 (commands) or 0x40 (data), not 0x{control:x2}", nameof(buffer));
        }
        Span<byte> transfer = stackalloc byte[MaxPayload + 1];
        transfer[0] = Ssd1306Command.ControlData;
        var data = buffer[1..];
        for (var offset = 0; offset < data.Length; offset += MaxPayload)
        {
            var chunk = data.Slice(offset, Math.Min(MaxPayload, data.Length - offset));
            chunk.CopyTo(transfer[1..]);
            _bus.Write(transfer[..(chunk.Length + 1)]);
        }
    }

    public override void WriteByte(byte value) => throw WriteOnly();

    // The SSD1306 on I²C is write-only (its status read is on the SPI/parallel interfaces only).
    public override byte ReadByte() => throw WriteOnly();

    public override void Read(Span<byte> buffer) => throw WriteOnly();

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => throw WriteOnly();

    private NotSupportedException WriteOnly() => new($"{_bus.Name}: the SSD1306 is driven with whole writes only (control byte and payload)");
}
