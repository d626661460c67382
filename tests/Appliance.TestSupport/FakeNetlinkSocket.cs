using Appliance.Netlink;

namespace Appliance.TestSupport;

/// <summary>A netlink socket that records requests and answers from a script: each reply is built from the request just sent.</summary>
public sealed class FakeNetlinkSocket : INetlinkSocket
{
    private readonly Queue<byte[]> _pending = new();
    private readonly Func<byte[], IEnumerable<byte[]>> _respond;

    public FakeNetlinkSocket(Func<byte[], IEnumerable<byte[]>> respond)
    {
        _respond = respond;
    }

    public List<byte[]> Sent { get; } = [];

    /// <summary>Replies scripted but not yet received: what a real socket would still hold for the next request.</summary>
    public int Pending => _pending.Count;

    public void Send(ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        Sent.Add(copy);
        foreach (var r in _respond(copy))
        {
            _pending.Enqueue(r);
        }
    }

    public int Receive(Span<byte> buffer)
    {
        if (!_pending.TryDequeue(out var d))
        {
            throw new TimeoutException("fake netlink socket: no reply scripted");
        }
        d.CopyTo(buffer);
        return d.Length;
    }

    public void Dispose()
    {
    }

    public static uint SequenceOf(byte[] request) => BitConverter.ToUInt32(request, 8);

    /// <summary>An NLMSG_ERROR reply to <paramref name="request"/> (error 0 = ACK), optionally with an extack message.</summary>
    public static byte[] Ack(byte[] request, int error = 0, string? extack = null)
    {
        var b = new byte[256];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(NetlinkMessageType.Error, extack is null ? NetlinkMessageFlags.Capped : NetlinkMessageFlags.Capped | NetlinkMessageFlags.AckTlvs, SequenceOf(request));
        var e = w.Reserve(20);
        BitConverter.TryWriteBytes(e, error);
        request.AsSpan(0, 16).CopyTo(e[4..]);
        if (extack is not null)
        {
            w.WriteString(1, extack);
        }
        w.EndMessage(m);
        return b[..w.Length];
    }

    /// <summary>NLMSG_DONE for a dump.</summary>
    public static byte[] Done(byte[] request, int error = 0)
    {
        var b = new byte[32];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(NetlinkMessageType.Done, NetlinkMessageFlags.Multi, SequenceOf(request));
        BitConverter.TryWriteBytes(w.Reserve(4), error);
        w.EndMessage(m);
        return b[..w.Length];
    }
}
