using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>Malformed messages, one named row each: the full parser rejects them, the query reader says what to answer.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MalformedMessageTests
{
    private const string Q = "1234 0100";            // id, RD

    public static TheoryData<string, string, DnsQueryStatus> Rows => new()
    {
        { "truncated header (6 bytes)", "1234 0100 0001", DnsQueryStatus.Drop },
        { "a response, not a query", "1234 8100 0001 0000 0000 0000 01 61 00 0001 0001", DnsQueryStatus.Drop },
        { "question name is a pointer to itself", $"{Q} 0001 0000 0000 0000 c00c 0001 0001", DnsQueryStatus.FormErr },
        { "pointer loop in an answer owner (points at itself)", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 c013 0001 0001 00000000 0000", DnsQueryStatus.FormErr },
        { "two pointers pointing at each other", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 c015 c013 0001 0001 00000000 0000", DnsQueryStatus.FormErr },
        { "forward pointer beyond the message", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 c0ff 0001 0001 00000000 0000", DnsQueryStatus.FormErr },
        { "label length 64 (over 63)", $"{Q} 0001 0000 0000 0000 40 {string.Concat(Enumerable.Repeat("61", 64))} 00 0001 0001", DnsQueryStatus.FormErr },
        { "name over 255 bytes (5 x 63)", $"{Q} 0001 0000 0000 0000 {string.Concat(Enumerable.Repeat("3f" + string.Concat(Enumerable.Repeat("61", 63)), 5))} 00 0001 0001", DnsQueryStatus.FormErr },
        { "label runs past the end", $"{Q} 0001 0000 0000 0000 05 6162", DnsQueryStatus.FormErr },
        { "question cut before its type", $"{Q} 0001 0000 0000 0000 01 61 00 00", DnsQueryStatus.FormErr },
        { "question count 2 with one question", $"{Q} 0002 0000 0000 0000 01 61 00 0001 0001", DnsQueryStatus.FormErr },
        { "answer count overruns the message", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001", DnsQueryStatus.FormErr },
        { "additional count overruns the message", $"{Q} 0001 0000 0000 0005 01 61 00 0001 0001 00 0029 04d0 00000000 0000", DnsQueryStatus.FormErr },
        { "record RDATA truncated (rdlength 4, 2 present)", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 00000000 0004 0a0a", DnsQueryStatus.FormErr },
        { "record header truncated", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 00", DnsQueryStatus.FormErr },
        { "two OPT records", $"{Q} 0001 0000 0000 0002 01 61 00 0001 0001 00 0029 04d0 00000000 0000 00 0029 04d0 00000000 0000", DnsQueryStatus.FormErr },
        { "OPT owned by a non-root name", $"{Q} 0001 0000 0000 0001 01 61 00 0001 0001 c00c 0029 04d0 00000000 0000", DnsQueryStatus.FormErr },
        { "trailing bytes after the last section", $"{Q} 0001 0000 0000 0000 01 61 00 0001 0001 ff", DnsQueryStatus.FormErr },
        { "reserved label type 0x80", $"{Q} 0001 0001 0000 0000 01 61 00 0001 0001 80 0001 0001 00000000 0000", DnsQueryStatus.FormErr },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Malformed_message_is_rejected(string row, string hex, DnsQueryStatus expected)
    {
        var bytes = Hex.Parse(hex);
        if (!row.StartsWith("a response", StringComparison.Ordinal))
        {
            Assert.False(DnsMessage.TryParse(bytes, out _, out var error), $"{row}: parsed although malformed");
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.Equal(expected, DnsQueryReader.TryRead(bytes, out _));
    }

    public static TheoryData<string, string, DnsNameError> NameRows => new()
    {
        { "pointer to itself", "c000", DnsNameError.PointerNotBackward },
        { "pointer beyond the message", "c0ff", DnsNameError.PointerOutOfBounds },
        { "label type 01 (length 64+)", "40", DnsNameError.LabelTooLong },
        { "truncated label", "05 6162", DnsNameError.Truncated },
        { "truncated pointer", "c0", DnsNameError.Truncated },
        { "no terminating zero", "01 61", DnsNameError.Truncated },
    };

    [Theory]
    [MemberData(nameof(NameRows))]
    public void Name_decoder_names_the_problem(string row, string hex, DnsNameError expected)
    {
        var bytes = Hex.Parse(hex);
        Span<byte> dst = stackalloc byte[255];
        Assert.True(expected == DnsName.TryDecode(bytes, 0, dst, out _, out _), row);
    }

    [Fact]
    public void Unsupported_opcode_is_notimp_and_edns_version_1_is_badvers()
    {
        Assert.Equal(DnsQueryStatus.NotImp, DnsQueryReader.TryRead(Hex.Parse("1234 2800 0001 0000 0000 0000 01 61 00 0001 0001"), out _)); // UPDATE
        Assert.Equal(DnsQueryStatus.BadVers, DnsQueryReader.TryRead(Hex.Parse($"{Q} 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 04d0 00 01 0000 0000"), out _));
    }

    [Theory]
    [InlineData("", "empty label")]
    [InlineData("a..b", "empty label")]
    [InlineData("bad\\", "dangling escape")]
    [InlineData("x\\300", "bad \\DDD escape")]
    [InlineData("caf\u00e9.mesh", "non-ASCII")]
    public void Invalid_presentation_names_are_refused_by_the_encoder(string name, string reason)
    {
        Span<byte> dst = stackalloc byte[255];
        if (name.Length == 0)
        {
            Assert.True(DnsName.TryEncode(name, dst, out var rootLen, out _) && rootLen == 1, "empty means the root");
            return;
        }
        Assert.False(DnsName.TryEncode(name, dst, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_over_63_and_name_over_255_are_refused_by_the_encoder()
    {
        Span<byte> dst = stackalloc byte[512];
        Assert.False(DnsName.TryEncode(new string('a', 64) + ".mesh", dst, out _, out var e1));
        Assert.Contains("63", e1, StringComparison.Ordinal);
        Assert.False(DnsName.TryEncode(string.Join('.', Enumerable.Repeat(new string('a', 63), 4)), dst, out _, out var e2));
        Assert.Contains("255", e2, StringComparison.Ordinal);
    }
}
