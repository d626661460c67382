using Appliance.Hardware.Gpio;

namespace Appliance.Hardware.Button;

/// <summary>
/// A button on a bare GPIO line: the line's edge events (<see cref="IGpioLine"/>; requested active-low for a button
/// to ground, so a rising logical edge is a press) become <see cref="ButtonEdge"/>s. Events read together keep their
/// spacing from the kernel's timestamps (a contact bounce comes as a burst), placed on the reader's clock.
/// </summary>
public sealed class GpioButton : IButtonSource
{
    private readonly IGpioLine _line;
    private readonly TimeProvider _clock;
    private readonly byte[] _buffer = new byte[GpioCodec.EventSize * (int)GpioCodec.EventBufferSize];
    private int _buffered;
    private int _offset;
    private DateTimeOffset _batchAt;
    private ulong _batchLastNs;

    public GpioButton(IGpioLine line, TimeProvider? clock = null)
    {
        _line = line;
        _clock = clock ?? TimeProvider.System;
    }

    public string Description => _line.Description;

    /// <summary>
    /// Requests the line of <paramref name="address"/> (input, both edges, <paramref name="bias"/>, the kernel's
    /// <paramref name="debounce"/>); throws <see cref="IOException"/> saying what was wrong.
    /// </summary>
    public static GpioButton Open(GpioButtonAddress address, GpioBias? bias = null, TimeSpan? debounce = null, TimeProvider? clock = null)
    {
        var activeLow = address.ActiveLow ?? true;
        var request = new GpioLineRequest(address.Line, activeLow, bias ?? DefaultBias(activeLow), debounce ?? ButtonTiming.DefaultDebounce);
        return new GpioButton(GpioCdevLine.Open(address.ChipPath, request), clock);
    }

    /// <summary>The pull that holds an idle button's line inactive: up for an active-low button, down for an active-high one.</summary>
    public static GpioBias DefaultBias(bool activeLow) => activeLow ? GpioBias.PullUp : GpioBias.PullDown;

    public ButtonEdge? WaitForEdge(TimeSpan timeout)
    {
        if (_offset + GpioCodec.EventSize > _buffered)
        {
            _offset = 0;
            _buffered = _line.ReadEvents(_buffer, timeout);
            if (_buffered < GpioCodec.EventSize)
            {
                _buffered = 0;
                return null;
            }
            _batchAt = _clock.GetUtcNow();
            _batchLastNs = GpioCodec.ReadEvent(_buffer.AsSpan((_buffered / GpioCodec.EventSize - 1) * GpioCodec.EventSize)).TimestampNs;
        }
        var e = GpioCodec.ReadEvent(_buffer.AsSpan(_offset, GpioCodec.EventSize));
        _offset += GpioCodec.EventSize;
        // The last event of the batch happened about when it was read; earlier ones by their timestamps before it.
        var before = _batchLastNs >= e.TimestampNs ? TimeSpan.FromTicks((long)((_batchLastNs - e.TimestampNs) / 100)) : TimeSpan.Zero;
        return new ButtonEdge(e.Rising, _batchAt - before);
    }

    public void Dispose() => _line.Dispose();
}
