using System.Buffers.Binary;

namespace Appliance.Crypto;

/// <summary>
/// A payload signed by the server: "APS1" (4 bytes), the Ed25519 signature (64), then the payload. The signature covers
/// the magic and the payload, so nothing can be swapped in. Opening never throws on bad input: it says why it failed.
/// </summary>
public static class SignedEnvelope
{
    public const int HeaderSize = 4 + Ed25519.SignatureSize;
    private const uint Magic = 0x41505331; // "APS1"

    public static byte[] Seal(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> payload)
    {
        var signed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(signed, Magic);
        payload.CopyTo(signed.AsSpan(4));
        var signature = Ed25519.Sign(privateKey, signed);
        var wire = new byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(wire, Magic);
        signature.CopyTo(wire.AsSpan(4));
        payload.CopyTo(wire.AsSpan(HeaderSize));
        return wire;
    }

    public static bool TryOpen(ReadOnlySpan<byte> wire, ReadOnlySpan<byte> publicKey, out ReadOnlySpan<byte> payload, out string error)
    {
        payload = default;
        if (wire.Length < HeaderSize)
        {
            error = $"too short for a signed message ({wire.Length} bytes)";
            return false;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(wire) != Magic)
        {
            error = "not a signed message (unsigned or another format)";
            return false;
        }
        var body = wire[HeaderSize..];
        var signed = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(signed, Magic);
        body.CopyTo(signed.AsSpan(4));
        if (!Ed25519.Verify(publicKey, signed, wire.Slice(4, Ed25519.SignatureSize)))
        {
            error = "bad signature (not from this node's server)";
            return false;
        }
        payload = body;
        error = string.Empty;
        return true;
    }
}
