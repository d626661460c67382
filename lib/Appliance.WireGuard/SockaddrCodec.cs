using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.WireGuard;

/// <summary>Encodes/decodes <c>struct sockaddr_in</c> / <c>sockaddr_in6</c> as WGPEER_A_ENDPOINT carries them.</summary>
public static class SockaddrCodec
{
    public const int SockaddrInSize = 16;
    public const int SockaddrIn6Size = 28;
    private const ushort AF_INET = 2;
    private const ushort AF_INET6 = 10;

    public static int SizeOf(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetwork ? SockaddrInSize : SockaddrIn6Size;

    public static void Write(Span<byte> dst, IPEndPoint endpoint)
    {
        dst[..SizeOf(endpoint)].Clear();
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(dst, AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(dst[2..], (ushort)endpoint.Port);
            endpoint.Address.TryWriteBytes(dst[4..8], out _);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(dst, AF_INET6);
            BinaryPrimitives.WriteUInt16BigEndian(dst[2..], (ushort)endpoint.Port);
            endpoint.Address.TryWriteBytes(dst[8..24], out _);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[24..], (uint)endpoint.Address.ScopeId);
        }
    }

    public static IPEndPoint? Read(ReadOnlySpan<byte> src)
    {
        if (src.Length < 2)
        {
            throw new WireGuardProtocolException($"endpoint of {src.Length} bytes is too short for a sockaddr");
        }
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(src);
        if (family == AF_INET && src.Length >= SockaddrInSize)
        {
            return new IPEndPoint(new IPAddress(src[4..8]), BinaryPrimitives.ReadUInt16BigEndian(src[2..]));
        }
        if (family == AF_INET6 && src.Length >= SockaddrIn6Size)
        {
            return new IPEndPoint(new IPAddress(src[8..24], BinaryPrimitives.ReadUInt32LittleEndian(src[24..])), BinaryPrimitives.ReadUInt16BigEndian(src[2..]));
        }
        if (family == 0)
        {
            return null;
        }
        throw new WireGuardProtocolException($"endpoint: sockaddr family {family} with {src.Length} bytes");
    }
}
