using System.Buffers.Binary;
using Appliance.Netlink;

namespace Appliance.TestSupport;

/// <summary>A netlink socket standing in for the kernel's WireGuard family: answers every request with a scripted list of replies.</summary>
public sealed class FakeGenlKernel : INetlinkSocket
{
    private readonly Queue<byte[]> _pending = new();
    private readonly Func<byte[], int, IEnumerable<byte[]>> _respond;

    public FakeGenlKernel(Func<byte[], int, IEnumerable<byte[]>> respond)
    {
        _respond = respond;
    }

    public List<byte[]> Sent { get; } = [];

    public void Send(ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        Sent.Add(copy);
        foreach (var r in _respond(copy, Sent.Count - 1))
        {
            _pending.Enqueue(r);
        }
    }

    public int Receive(Span<byte> buffer)
    {
        if (!_pending.TryDequeue(out var d))
        {
            throw new TimeoutException("fake kernel: nothing scripted");
        }
        d.CopyTo(buffer);
        return d.Length;
    }

    public void Dispose()
    {
    }

    public static uint Seq(byte[] request) => BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(8));

    public static byte[] Error(byte[] request, Errno errno)
    {
        var b = new byte[64];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(NetlinkMessageType.Error, NetlinkMessageFlags.Capped, Seq(request));
        var e = w.Reserve(20);
        BinaryPrimitives.WriteInt32LittleEndian(e, -(int)errno);
        request.AsSpan(0, 16).CopyTo(e[4..]);
        w.EndMessage(m);
        return b[..w.Length];
    }

    public static byte[] Done(byte[] request)
    {
        var b = new byte[32];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(NetlinkMessageType.Done, NetlinkMessageFlags.Multi, Seq(request));
        w.Reserve(4);
        w.EndMessage(m);
        return b[..w.Length];
    }

    /// <summary>Re-stamps a prepared reply with the request's sequence number.</summary>
    public static byte[] Reply(byte[] request, byte[] reply)
    {
        var copy = (byte[])reply.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(8), Seq(request));
        return copy;
    }
}
