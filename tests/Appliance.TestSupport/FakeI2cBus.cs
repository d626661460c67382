using Appliance.Hardware.Display;

namespace Appliance.TestSupport;

/// <summary>
/// An I²C target that records every transfer (the bytes a logic analyser would show after the address), and can
/// stop answering on demand, like a display that is missing or comes unplugged.
/// </summary>
public sealed class FakeI2cBus : II2cBus
{
    private readonly List<byte[]> _writes = [];
    private readonly Lock _gate = new();

    public string Name { get; init; } = "/dev/i2c-1 0x3c";

    public DisplayAddress Address { get; init; } = new(1, DisplayAddress.DefaultAddress);

    /// <summary>While true every write fails as an unacknowledged address does.</summary>
    public bool Absent { get; set; }

    public bool Disposed { get; private set; }

    /// <summary>Transfers so far, each one control byte and its payload.</summary>
    public IReadOnlyList<byte[]> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _writes.Clear();
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (bytes.IsEmpty || bytes.Length > Ssd1306I2cDevice.MaxPayload + 1)
        {
            throw new ArgumentException($"one transfer is 1..{Ssd1306I2cDevice.MaxPayload + 1} bytes, not {bytes.Length}", nameof(bytes));
        }
        if (Absent)
        {
            throw new DisplayUnavailableException($"no answer (ACK) from 0x3c on /dev/i2c-1: is the display connected, and at that address?");
        }
        lock (_gate)
        {
            _writes.Add(bytes.ToArray());
        }
    }

    public void Dispose() => Disposed = true;
}
