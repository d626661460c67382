using System.Runtime.InteropServices;
using Iot.Device.Graphics;
using Iot.Device.Ssd13xx;
using Iot.Device.Ssd13xx.Commands;
using Ssd1306Commands = Iot.Device.Ssd13xx.Commands.Ssd1306Commands;

namespace Appliance.Hardware.Display;

/// <summary>
/// Iot.Device.Ssd13xx's <see cref="Ssd1306"/> as the status display uses it: commands and display RAM bytes from our
/// own frame buffer, no bitmaps. Constructing it runs the binding's power-on sequence on the panel.
/// </summary>
/// <remarks>
/// The binding's constructor ends by clearing the screen through a <see cref="BitmapImage"/>, which needs an image
/// library registered (SkiaSharp: megabytes the agent does not ship); here clearing writes zeros to all eight pages.
/// The other bitmap paths are refused, which also lets the AOT compiler leave the binding's bitmap code out.
/// </remarks>
public sealed class StatusSsd1306 : Ssd1306
{
    /// <summary>Runs the binding's power-on sequence (128×32 setup, display on, clear) on <paramref name="device"/>.</summary>
    public StatusSsd1306(Ssd1306I2cDevice device)
        : base(device, FrameBuffer.Width, FrameBuffer.Height)
    {
    }

    /// <summary>Sends one command, whichever of the binding's command families it is from.</summary>
    public void Send(ICommand command)
    {
        switch (command)
        {
            case ISsd1306Command ssd1306:
                SendCommand(ssd1306);
                break;
            case ISharedCommand shared:
                SendCommand(shared);
                break;
            default:
                throw new ArgumentException($"{command?.GetType().Name ?? "null"} is not an SSD1306 command", nameof(command));
        }
    }

    /// <summary>Writes <paramref name="window"/>'s pages of <paramref name="frame"/> to display RAM: an address window, then the bytes.</summary>
    public void Draw(FrameBuffer frame, Ssd1306Window window)
    {
        SendCommand(new Ssd1306Commands.SetColumnAddress(0, FrameBuffer.Width - 1));
        SendCommand(new Ssd1306Commands.SetPageAddress((Ssd1306Commands.PageAddress)window.FirstPage, (Ssd1306Commands.PageAddress)window.LastPage));
        var bytes = window.Bytes(frame);
        // SendData takes a Span but only copies from it (into the binding's own write buffer): the frame is not changed.
        SendData(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(bytes), bytes.Length));
    }

    /// <summary>Clears all of display RAM (128×64) with zeros; called by the binding's constructor too.</summary>
    public override void ClearScreen() => Draw(new FrameBuffer(), new Ssd1306Window(0, FrameBuffer.Pages - 1));

    public override void DrawBitmap(BitmapImage image) => throw NoBitmaps();

    public override byte[] PreRenderBitmap(BitmapImage image) => throw NoBitmaps();

    public override BitmapImage GetBackBufferCompatibleImage() => throw NoBitmaps();

    private static NotSupportedException NoBitmaps() => new("the status display draws from its own frame buffer, not from bitmaps");
}
