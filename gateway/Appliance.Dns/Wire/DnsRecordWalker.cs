using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>Where one resource record sits in a message: found without allocating, for in-place edits.</summary>
public readonly record struct DnsRecordPosition(int Start, DnsRecordType Type, ushort Class, int TtlOffset, int RdataOffset, int RdataLength)
{
    public int End => RdataOffset + RdataLength;
}

/// <summary>Walks records on the wire without building objects: validates names and lengths, reports offsets.</summary>
public static class DnsRecordWalker
{
    /// <summary>Reads the record at <paramref name="pos"/>; false when it is malformed or overruns the message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> msg, int pos, out DnsRecordPosition record)
    {
        record = default;
        if (DnsName.TrySkip(msg, pos, out var afterName) != DnsNameError.None || afterName + 10 > msg.Length)
        {
            return false;
        }
        var rdlen = BinaryPrimitives.ReadUInt16BigEndian(msg[(afterName + 8)..]);
        if (afterName + 10 + rdlen > msg.Length)
        {
            return false;
        }
        record = new DnsRecordPosition(pos, (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(msg[afterName..]),
            BinaryPrimitives.ReadUInt16BigEndian(msg[(afterName + 2)..]), afterName + 4, afterName + 10, rdlen);
        return true;
    }

    /// <summary>Skips the question section; false when a question is malformed.</summary>
    public static bool TrySkipQuestions(ReadOnlySpan<byte> msg, out int end)
    {
        end = DnsHeader.Length;
        for (var i = 0; i < DnsHeader.QuestionCount(msg); i++)
        {
            if (DnsName.TrySkip(msg, end, out end) != DnsNameError.None || end + 4 > msg.Length)
            {
                return false;
            }
            end += 4;
        }
        return true;
    }
}
