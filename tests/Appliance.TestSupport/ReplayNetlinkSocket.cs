using System.Buffers.Binary;
using Appliance.Netlink;

namespace Appliance.TestSupport;

/// <summary>
/// A netlink socket that answers each dump request with datagrams recorded for its message type (e.g. captured from
/// the kernel), renumbering every message's <c>nlmsg_seq</c> to the request's. Unlike <see cref="FakeNetlinkSocket"/> it
/// allocates nothing per exchange, so allocation tests can count what the code under test allocates.
/// </summary>
public sealed class ReplayNetlinkSocket : INetlinkSocket
{
    private readonly Dictionary<ushort, byte[][]> _replies = [];
    private byte[][] _pending = [];
    private int _next;
    private uint _sequence;

    /// <summary>How many requests were sent.</summary>
    public int Requests { get; private set; }

    /// <summary>Sets the datagrams a request of <paramref name="requestType"/> is answered with (the last should end the dump).</summary>
    public void Answer(ushort requestType, params byte[][] datagrams) => _replies[requestType] = datagrams;

    /// <summary>
    /// Reads a capture file: one datagram a line, a label then hex (<c>link 4c00...</c>); '#' lines are comments.
    /// Returns the datagrams by label, in file order.
    /// </summary>
    public static Dictionary<string, byte[][]> ReadCapture(string path) =>
        File.ReadLines(path)
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', 2))
            .GroupBy(p => p[0], p => Convert.FromHexString(p[1].Trim()))
            .ToDictionary(g => g.Key, g => g.ToArray());

    public void Send(ReadOnlySpan<byte> datagram)
    {
        Requests++;
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
        _sequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]);
        _pending = _replies.TryGetValue(type, out var replies) ? replies : throw new InvalidOperationException($"replay socket: nothing recorded for message type {type}");
        _next = 0;
    }

    public int Receive(Span<byte> buffer)
    {
        if (_next == _pending.Length)
        {
            throw new TimeoutException("replay socket: no more datagrams recorded for the last request");
        }
        var d = _pending[_next++];
        d.CopyTo(buffer);
        for (int off = 0; off + NetlinkMessageType.HeaderSize <= d.Length;)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[(off + 8)..], _sequence);
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer[off..]);
            off += NetlinkMessageType.Align(Math.Max(len, NetlinkMessageType.HeaderSize));
        }
        return d.Length;
    }

    public void Dispose()
    {
    }
}
