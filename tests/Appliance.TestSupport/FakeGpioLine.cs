using System.Collections.Concurrent;
using Appliance.Hardware.Gpio;

namespace Appliance.TestSupport;

/// <summary>
/// A requested GPIO line whose edge events a test pushes, encoded as the kernel's <c>gpio_v2_line_event</c> records;
/// each <see cref="Push"/> is one read (a burst of events read together, as a bouncing contact gives them).
/// </summary>
public sealed class FakeGpioLine(uint line = 17) : IGpioLine
{
    private readonly BlockingCollection<byte[]> _reads = [];
    private uint _seqno;

    public string Description => $"fake gpiochip line {line}";

    public bool Disposed { get; private set; }

    /// <summary>Events that one read returns: (logical level went up, kernel timestamp in ns).</summary>
    public void Push(params (bool Rising, ulong TimestampNs)[] events)
    {
        var bytes = new byte[events.Length * GpioCodec.EventSize];
        for (var i = 0; i < events.Length; i++)
        {
            GpioCodec.WriteEvent(bytes.AsSpan(i * GpioCodec.EventSize), new GpioLineEvent(events[i].TimestampNs, events[i].Rising, line, ++_seqno));
        }
        _reads.Add(bytes);
    }

    public int ReadEvents(Span<byte> buffer, TimeSpan timeout)
    {
        if (!_reads.TryTake(out var bytes, timeout))
        {
            return 0;
        }
        if (bytes.Length > buffer.Length)
        {
            throw new InvalidOperationException($"the test pushed {bytes.Length} bytes for a {buffer.Length}-byte read");
        }
        bytes.CopyTo(buffer);
        return bytes.Length;
    }

    public void Dispose()
    {
        Disposed = true;
        _reads.Dispose();
    }
}
