using System.Buffers.Binary;
using System.Runtime.ExceptionServices;

namespace Appliance.Netlink;

/// <summary>
/// Request/acknowledge and dump exchanges over an <see cref="INetlinkSocket"/>: numbers requests,
/// matches replies by sequence, turns NLMSG_ERROR into <see cref="NetlinkException"/>, follows multi-part dumps.
/// </summary>
public sealed class NetlinkClient : IDisposable
{
    // Dumps are sized by the kernel from the receive buffer the reader offers; 64 KiB takes the largest.
    private const int ReceiveBufferSize = 64 * 1024;
    private const ushort ExtAckMessageAttribute = 1; // NLMSGERR_ATTR_MSG

    /// <summary>How often <see cref="Dump(Span{byte}, string, NetlinkMessageHandler, Action?)"/> tries an interrupted dump.</summary>
    public const int MaxDumpAttempts = 3;

    private readonly INetlinkSocket _socket;
    private readonly bool _ownsSocket;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private uint _sequence;

    public NetlinkClient(INetlinkSocket socket, bool ownsSocket = true)
    {
        _socket = socket;
        _ownsSocket = ownsSocket;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>Sends one request with NLM_F_ACK and waits for its acknowledgement.</summary>
    /// <param name="message">A single encoded message; its sequence number and ACK flag are filled in here.</param>
    /// <param name="operation">What to call the operation in an error, e.g. <c>RTM_NEWLINK wg0</c>.</param>
    public void Request(Span<byte> message, string operation)
    {
        uint seq = Stamp(message, NetlinkMessageFlags.Ack);
        _socket.Send(message);
        while (true)
        {
            int n = _socket.Receive(_receive);
            var reader = new NetlinkMessageReader(_receive.AsSpan(0, n));
            while (reader.TryRead(out var m))
            {
                if (m.Sequence != seq)
                {
                    continue;
                }
                if (m.Type == NetlinkMessageType.Error)
                {
                    ThrowIfError(m, operation);
                    return;
                }
            }
        }
    }

    /// <summary>Sends a request and hands each reply message to <paramref name="handler"/> until the dump ends (or the single reply arrives).</summary>
    /// <remarks>An interrupted dump (NLM_F_DUMP_INTR) throws EINTR; use the overload with <c>restart</c> to retry it.</remarks>
    public void Dump(Span<byte> message, string operation, NetlinkMessageHandler handler) => Dump(message, operation, handler, restart: null);

    /// <summary>
    /// Like <see cref="Dump(Span{byte}, string, NetlinkMessageHandler)"/>, but a dump the kernel marks NLM_F_DUMP_INTR
    /// (the object list changed while it was read) is sent again, up to <see cref="MaxDumpAttempts"/> times in all;
    /// <paramref name="restart"/> runs before each retry so the caller can drop what the handler collected.
    /// Whatever happens, the rest of a dump is read up to NLMSG_DONE before this returns or throws, so the next
    /// request on the socket never meets a dump still in progress (EBUSY) or stale replies.
    /// </summary>
    public void Dump(Span<byte> message, string operation, NetlinkMessageHandler handler, Action? restart)
    {
        for (int attempt = 1; ; attempt++)
        {
            if (!DumpOnce(message, operation, handler))
            {
                return;
            }
            if (restart is null || attempt >= MaxDumpAttempts)
            {
                throw new NetlinkException(Errno.EINTR, operation, $"dump interrupted by a concurrent change ({attempt} attempt{(attempt == 1 ? "" : "s")})");
            }
            restart();
        }
    }

    /// <summary>One dump exchange, drained to its end; returns true if the kernel flagged it as interrupted.</summary>
    private bool DumpOnce(Span<byte> message, string operation, NetlinkMessageHandler handler)
    {
        uint seq = Stamp(message, NetlinkMessageFlags.None);
        _socket.Send(message);
        bool interrupted = false;
        ExceptionDispatchInfo? handlerError = null;
        while (true)
        {
            int n = _socket.Receive(_receive);
            var reader = new NetlinkMessageReader(_receive.AsSpan(0, n));
            while (reader.TryRead(out var m))
            {
                if (m.Sequence != seq)
                {
                    continue;
                }
                interrupted |= (m.Flags & NetlinkMessageFlags.DumpInterrupted) != 0;
                switch (m.Type)
                {
                    case NetlinkMessageType.Done:
                        handlerError?.Throw();
                        if (m.Payload.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(m.Payload) < 0)
                        {
                            throw new NetlinkException((Errno)(-BinaryPrimitives.ReadInt32LittleEndian(m.Payload)), operation);
                        }
                        return interrupted;
                    case NetlinkMessageType.Error:
                        handlerError?.Throw();
                        ThrowIfError(m, operation);
                        return interrupted;
                    case NetlinkMessageType.Noop:
                        continue;
                    case NetlinkMessageType.Overrun:
                        throw new NetlinkException(Errno.ENOBUFS, operation, "netlink overrun");
                    default:
                        // After an interruption or a handler failure the rest is only drained, not handed on.
                        if (!interrupted && handlerError is null)
                        {
                            try
                            {
                                handler(in m);
                            }
                            catch (Exception e)
                            {
                                handlerError = ExceptionDispatchInfo.Capture(e);
                            }
                        }
                        if ((m.Flags & NetlinkMessageFlags.Multi) == 0)
                        {
                            handlerError?.Throw();
                            return interrupted;
                        }
                        break;
                }
            }
        }
    }

    /// <summary>Decodes an NLMSG_ERROR payload: returns for an ACK (error 0), throws otherwise.</summary>
    public static void ThrowIfError(in NetlinkMessage m, string operation)
    {
        var p = m.Payload;
        if (p.Length < 4)
        {
            throw new NetlinkProtocolException("truncated NLMSG_ERROR: " + p.Length + " bytes");
        }
        int error = BinaryPrimitives.ReadInt32LittleEndian(p);
        if (error == 0)
        {
            return;
        }
        string? text = null;
        if ((m.Flags & NetlinkMessageFlags.AckTlvs) != 0 && p.Length >= 4 + NetlinkMessageType.HeaderSize)
        {
            // With NETLINK_CAP_ACK only the original header is echoed, unless the kernel says otherwise.
            int echoed = NetlinkMessageType.HeaderSize;
            if ((m.Flags & NetlinkMessageFlags.Capped) == 0)
            {
                echoed = (int)BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
            }
            int tlvStart = 4 + NetlinkMessageType.Align(echoed);
            if (tlvStart <= p.Length)
            {
                var attrs = new NetlinkAttributeReader(p[tlvStart..]);
                while (attrs.TryRead(out var a))
                {
                    if (a.Type == ExtAckMessageAttribute)
                    {
                        text = a.GetString();
                    }
                }
            }
        }
        throw new NetlinkException((Errno)(-error), operation, text);
    }

    private uint Stamp(Span<byte> message, NetlinkMessageFlags extra)
    {
        if (message.Length < NetlinkMessageType.HeaderSize)
        {
            throw new ArgumentException("not a netlink message", nameof(message));
        }
        uint seq = ++_sequence;
        var flags = (NetlinkMessageFlags)BinaryPrimitives.ReadUInt16LittleEndian(message[6..]) | NetlinkMessageFlags.Request | extra;
        BinaryPrimitives.WriteUInt16LittleEndian(message[6..], (ushort)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message[8..], seq);
        return seq;
    }

    public void Dispose()
    {
        if (_ownsSocket)
        {
            _socket.Dispose();
        }
    }
}
