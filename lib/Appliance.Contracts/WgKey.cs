using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Contracts;

/// <summary>A 32-byte WireGuard key (Curve25519 public or private), written as standard base64 like <c>wg</c> does.</summary>
[JsonConverter(typeof(WgKeyJsonConverter))]
public readonly struct WgKey : IEquatable<WgKey>
{
    public const int Size = 32;

    // Four longs keep the struct blittable and comparable without allocation.
    private readonly long _a, _b, _c, _d;

    public WgKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a WireGuard key is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }
        var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes);
        _a = longs[0];
        _b = longs[1];
        _c = longs[2];
        _d = longs[3];
    }

    public bool IsZero => (_a | _b | _c | _d) == 0;

    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }
        var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(destination[..Size]);
        longs[0] = _a;
        longs[1] = _b;
        longs[2] = _c;
        longs[3] = _d;
    }

    public byte[] ToArray()
    {
        var b = new byte[Size];
        CopyTo(b);
        return b;
    }

    /// <summary>The key as 64 lowercase hex digits, the form the UAPI protocol uses.</summary>
    public string ToHex()
    {
        Span<byte> b = stackalloc byte[Size];
        CopyTo(b);
        return Convert.ToHexStringLower(b);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[Size];
        CopyTo(b);
        return Convert.ToBase64String(b);
    }

    public static WgKey Parse(string base64) =>
        TryParse(base64, out var key) ? key : throw new FormatException("not a WireGuard key: expected 44 characters of base64 encoding 32 bytes");

    public static bool TryParse([NotNullWhen(true)] string? base64, out WgKey key)
    {
        key = default;
        if (base64 is null || base64.Length != 44 || base64[43] != '=')
        {
            return false;
        }
        Span<byte> b = stackalloc byte[33];
        if (!Convert.TryFromBase64String(base64, b, out var written) || written != Size)
        {
            return false;
        }
        key = new WgKey(b[..Size]);
        return true;
    }

    public static bool TryParseHex(ReadOnlySpan<char> hex, out WgKey key)
    {
        key = default;
        if (hex.Length != 2 * Size)
        {
            return false;
        }
        Span<byte> b = stackalloc byte[Size];
        if (Convert.FromHexString(hex, b, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }
        key = new WgKey(b);
        return true;
    }

    /// <summary>A fresh random 32-byte value (a preshared key). Private keys come from <c>X25519</c>.</summary>
    public static WgKey Random()
    {
        Span<byte> b = stackalloc byte[Size];
        RandomNumberGenerator.Fill(b);
        return new WgKey(b);
    }

    public bool Equals(WgKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is WgKey k && Equals(k);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(WgKey left, WgKey right) => left.Equals(right);

    public static bool operator !=(WgKey left, WgKey right) => !left.Equals(right);
}

/// <summary>Reads and writes <see cref="WgKey"/> as its base64 string.</summary>
public sealed class WgKeyJsonConverter : JsonConverter<WgKey>
{
    public override WgKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var s = reader.GetString();
        return WgKey.TryParse(s, out var key) ? key : throw new JsonException("not a WireGuard key: expected 44 characters of base64 encoding 32 bytes");
    }

    public override void Write(Utf8JsonWriter writer, WgKey value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
