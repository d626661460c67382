using System.Net;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// Golden wire bytes for every record type: a response to "a.mesh" with one answer, owner compressed to C0 0C,
/// names inside RDATA compressed against the question (offset 14 is "mesh") where RFC 3597 allows it.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class WireGoldenTests
{
    private const string Prefix = """
        abcd 8180 0001 0001 0000 0000     # id, QR RD RA, 1 question, 1 answer
        01 61 04 6d657368 00 0001 0001    # question a.mesh A IN (offset 12; "mesh" at 14)
        c00c                              # answer owner: pointer to offset 12
        """;

    public static TheoryData<string, DnsRecordType, DnsRecordData, string> Rows => new()
    {
        { "A 10.10.0.1", DnsRecordType.A, new DnsAData(IPAddress.Parse("10.10.0.1")), "0001 0001 0000003c 0004 0a0a0001" },
        { "AAAA fd10::2", DnsRecordType.AAAA, new DnsAaaaData(IPAddress.Parse("fd10::2")), "001c 0001 0000003c 0010 fd100000000000000000000000000002" },
        { "PTR node1.mesh (suffix compressed)", DnsRecordType.PTR, new DnsPtrData("node1.mesh"), "000c 0001 0000003c 0008 05 6e6f646531 c00e" },
        { "CNAME b.a.mesh (whole question name reused)", DnsRecordType.CNAME, new DnsCnameData("b.a.mesh"), "0005 0001 0000003c 0004 01 62 c00c" },
        { "NS ns.mesh", DnsRecordType.NS, new DnsNsData("ns.mesh"), "0002 0001 0000003c 0005 02 6e73 c00e" },
        { "TXT \"hi\" \"\"", DnsRecordType.TXT, new DnsTxtData([[0x68, 0x69], []]), "0010 0001 0000003c 0004 02 6869 00" },
        { "SRV 10 20 5353 node1.mesh (target never compressed, RFC 2782)", DnsRecordType.SRV, new DnsSrvData(10, 20, 5353, "node1.mesh"),
            "0021 0001 0000003c 0012 000a 0014 14e9 05 6e6f646531 04 6d657368 00" },
        { "SOA ns.mesh hostmaster.mesh 1 2 3 4 5", DnsRecordType.SOA, new DnsSoaData("ns.mesh", "hostmaster.mesh", 1, 2, 3, 4, 5),
            "0006 0001 0000003c 0026 02 6e73 c00e 0a 686f73746d6173746572 c00e 00000001 00000002 00000003 00000004 00000005" },
        { "MX 10 mail.mesh", DnsRecordType.MX, new DnsMxData(10, "mail.mesh"), "000f 0001 0000003c 0009 000a 04 6d61696c c00e" },
        { "TYPE99 carried opaquely (RFC 3597)", (DnsRecordType)99, new DnsOpaqueData([0xde, 0xad, 0xbe, 0xef]), "0063 0001 0000003c 0004 deadbeef" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Record_serializes_to_golden_bytes_and_parses_back(string row, DnsRecordType type, DnsRecordData data, string hex)
    {
        var m = Response();
        m.Answers.Add(new DnsResourceRecord("a.mesh", type, 1, 60, data));
        var golden = Hex.Parse(Prefix + "\n" + hex);
        Hex.Equal(golden, m.ToArray());
        var back = DnsMessage.Parse(golden);
        Assert.True(data.Equals(back.Answers.Single().Data), $"{row}: parsed {back.Answers[0].Data}");
        Assert.Equal("a.mesh", back.Answers[0].Name);
    }

    [Fact]
    public void Query_with_edns0_opt_record_and_do_bit()
    {
        // dig a.mesh A +dnssec +bufsize=1232 (no cookie)
        var golden = Hex.Parse("""
            abcd 0100 0001 0000 0000 0001     # id, RD, 1 question, 1 additional
            01 61 04 6d657368 00 0001 0001    # a.mesh A IN
            00 0029 04d0 00 00 8000 0000      # OPT: root owner, UDP 1232, ext-rcode 0, version 0, DO, no options
            """);
        var m = new DnsMessage { Id = 0xabcd, RecursionDesired = true, Edns = new DnsEdns(1232, 0, true) };
        m.Questions.Add(new DnsQuestion("a.mesh", DnsRecordType.A));
        Hex.Equal(golden, m.ToArray());
        var back = DnsMessage.Parse(golden);
        Assert.True(back.Edns!.DnssecOk);
        Assert.Equal(1232, back.Edns.UdpPayloadSize);
        Assert.Equal(DnsQueryStatus.Ok, DnsQueryReader.TryRead(golden, out var q));
        Assert.True(q is { HasEdns: true, DnssecOk: true, EdnsUdpSize: 1232, QType: DnsRecordType.A, QNameLength: 8 });
    }

    [Fact]
    public void Compression_reuses_every_suffix_case_insensitively()
    {
        var golden = Hex.Parse("""
            0001 8400 0001 0003 0000 0000           # id 1, QR AA, 1 question, 3 answers
            05 6e6f646531 04 6d657368 00 0001 0001  # node1.mesh A IN (offset 12; "mesh" at 18)
            c00c 0001 0001 0000003c 0004 0a0a0001   # NODE1.MESH (other case) -> pointer to 12
            05 6e6f646532 c012 0001 0001 0000003c 0004 0a0a0002   # node2 + pointer to "mesh" at 18
            c02c 0001 0001 0000003c 0004 0a0a0003   # node2.mesh again -> pointer to where it was written (44)
            """);
        var m = new DnsMessage { Id = 1, IsResponse = true, Authoritative = true };
        m.Questions.Add(new DnsQuestion("node1.mesh", DnsRecordType.A));
        m.Answers.Add(new DnsResourceRecord("NODE1.MESH", DnsRecordType.A, 1, 60, new DnsAData(IPAddress.Parse("10.10.0.1"))));
        m.Answers.Add(new DnsResourceRecord("node2.mesh", DnsRecordType.A, 1, 60, new DnsAData(IPAddress.Parse("10.10.0.2"))));
        m.Answers.Add(new DnsResourceRecord("node2.mesh", DnsRecordType.A, 1, 60, new DnsAData(IPAddress.Parse("10.10.0.3"))));
        Hex.Equal(golden, m.ToArray());
        var back = DnsMessage.Parse(golden);
        Assert.Equal(["node1.mesh", "node2.mesh", "node2.mesh"], back.Answers.Select(a => a.Name.ToLowerInvariant()));
    }

    [Theory]
    [InlineData("a\\.b.mesh", "03 612e62", "a label holding a dot")]
    [InlineData("x\\255y.mesh", "03 78ff79", "a byte escaped as \\DDD")]
    public void Escaped_labels_round_trip(string name, string firstLabelHex, string why)
    {
        Span<byte> wire = stackalloc byte[255];
        var len = DnsName.Encode(name, wire);
        var expected = Hex.Parse(firstLabelHex + " 04 6d657368 00");
        Hex.Equal(expected, wire[..len]);
        Assert.True(name == DnsName.ToPresentation(wire[..len]), why);
    }

    private static DnsMessage Response()
    {
        var m = new DnsMessage { Id = 0xabcd, IsResponse = true, RecursionDesired = true, RecursionAvailable = true };
        m.Questions.Add(new DnsQuestion("a.mesh", DnsRecordType.A));
        return m;
    }
}
