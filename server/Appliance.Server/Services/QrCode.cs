using QRCoder;

namespace Appliance.Server.Services;

/// <summary>Renders text (an ext client's wg-quick file) as a QR code the WireGuard mobile apps scan.</summary>
public static class QrCode
{
    public const int PixelsPerModule = 8;

    // Level L keeps a ~400-byte config at a scannable size; phone screens and cameras do not need more redundancy.
    private static QRCodeData Encode(string text) => QRCodeGenerator.GenerateQrCode(text, QRCodeGenerator.ECCLevel.L);

    public static byte[] Png(string text)
    {
        using var data = Encode(text);
        return new PngByteQRCode(data).GetGraphic(PixelsPerModule);
    }

    public static string Svg(string text)
    {
        using var data = Encode(text);
        return new SvgQRCode(data).GetGraphic(PixelsPerModule);
    }
}
