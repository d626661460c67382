namespace Appliance.Hardware.Display;

/// <summary>A run of display RAM pages <see cref="FirstPage"/>..<see cref="LastPage"/> (0..7), all 128 columns.</summary>
public readonly record struct Ssd1306Window(int FirstPage, int LastPage)
{
    /// <summary>The window's bytes in a frame: its pages one after the other.</summary>
    public ReadOnlySpan<byte> Bytes(FrameBuffer frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Bytes.Slice(FirstPage * FrameBuffer.Width, (LastPage - FirstPage + 1) * FrameBuffer.Width);
    }
}
