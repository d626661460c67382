using Microsoft.Playwright;
using ZXing;

namespace Appliance.Console.Tests;

/// <summary>Reads a QR code the way a phone would: the pixels of the image the page shows, decoded by ZXing.</summary>
public static class QrReader
{
    /// <summary>Draws the <c>img</c> into a canvas in the page at its own size, takes the grey levels and decodes them.</summary>
    public static async Task<string> DecodeAsync(ILocator image)
    {
        await Assertions.Expect(image).ToBeVisibleAsync();
        var pixels = await image.EvaluateAsync<Pixels>("""
            async (img) => {
              await img.decode();
              const w = img.naturalWidth, h = img.naturalHeight;
              const canvas = document.createElement('canvas');
              canvas.width = w; canvas.height = h;
              const ctx = canvas.getContext('2d');
              ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h);
              ctx.drawImage(img, 0, 0, w, h);
              const rgba = ctx.getImageData(0, 0, w, h).data;
              let grey = '';
              for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode((rgba[i] * 299 + rgba[i + 1] * 587 + rgba[i + 2] * 114) / 1000 | 0);
              return { width: w, height: h, grey: btoa(grey) };
            }
            """);
        var luminance = new RGBLuminanceSource(Convert.FromBase64String(pixels.Grey), pixels.Width, pixels.Height, RGBLuminanceSource.BitmapFormat.Gray8);
        var reader = new BarcodeReaderGeneric { Options = { PossibleFormats = [BarcodeFormat.QR_CODE], TryHarder = true } };
        var result = reader.Decode(luminance) ?? throw new Xunit.Sdk.XunitException($"no QR code could be read from the {pixels.Width}x{pixels.Height} image");
        return result.Text;
    }

    /// <summary>The image's grey levels (one byte per pixel, base64) and size, as the page returns them.</summary>
    public sealed class Pixels
    {
        public int Width { get; set; }
        public int Height { get; set; }
        public string Grey { get; set; } = "";
    }
}
