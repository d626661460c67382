namespace Appliance.Netlink;

/// <summary>The I/O boundary of the netlink layer: sends one request datagram, receives one reply datagram.</summary>
public interface INetlinkSocket : IDisposable
{
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>Blocks until a datagram arrives (bounded by the socket's receive timeout); returns its length.</summary>
    int Receive(Span<byte> buffer);
}
