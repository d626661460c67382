using System.Net;
using Appliance.Dns.Wire;
using Appliance.TestSupport;
using FsCheck;
using FsCheck.Fluent;

namespace Appliance.Dns.Tests;

/// <summary>
/// serialize ∘ parse is the identity on generated messages (every record type, EDNS, compression); names compare
/// case-insensitively, since compression may reuse an earlier spelling of the same name (RFC 1035 2.3.3).
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RoundTripPropertyTests
{
    private static readonly Gen<string> Label =
        Gen.Choose(1, 12).SelectMany(n => Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789-ABC".ToCharArray()).ArrayOf(n)).Select(c => new string(c));

    // Names from a small vocabulary so suffixes repeat and compression is exercised.
    private static readonly Gen<string> Name = Gen.OneOf(
        Gen.Constant("."),
        Gen.Choose(1, 4).SelectMany(n => Gen.OneOf(Label, Gen.Elements("mesh", "node1", "www", "a\\.b", "x\\007y")).ArrayOf(n)).Select(l => string.Join('.', l)));

    private static readonly Gen<byte[]> Bytes = Gen.Choose(0, 40).SelectMany(n => Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(n));

    private static readonly Gen<DnsRecordData> Data = Gen.OneOf(
        Gen.Choose(0, 255).ArrayOf(4).Select(b => (DnsRecordData)new DnsAData(new IPAddress(b.Select(x => (byte)x).ToArray()))),
        Gen.Choose(0, 255).ArrayOf(16).Select(b => (DnsRecordData)new DnsAaaaData(new IPAddress(b.Select(x => (byte)x).ToArray()))),
        Name.Select(n => (DnsRecordData)new DnsPtrData(n)),
        Name.Select(n => (DnsRecordData)new DnsCnameData(n)),
        Name.Select(n => (DnsRecordData)new DnsNsData(n)),
        Gen.Zip(Gen.Choose(0, 65535), Name, (p, n) => (DnsRecordData)new DnsMxData((ushort)p, n)),
        Bytes.ArrayOf().Where(a => a.Length > 0).Select(a => (DnsRecordData)new DnsTxtData(a)),
        Gen.Zip(Gen.Choose(0, 65535), Name, (p, n) => (DnsRecordData)new DnsSrvData((ushort)p, (ushort)(p / 3), 443, n)),
        Gen.Zip(Name, Name, (m, r) => (DnsRecordData)new DnsSoaData(m, r, 2026112201, 7200, 1800, 86400, 30)),
        Bytes.Select(b => (DnsRecordData)new DnsOpaqueData(b)));

    private static readonly Gen<DnsResourceRecord> Record =
        from name in Name
        from data in Data
        from ttl in Gen.Choose(0, int.MaxValue)
        select new DnsResourceRecord(name, TypeOf(data), 1, (uint)ttl, data);

    private static readonly Gen<DnsMessage> Message =
        from id in Gen.Choose(0, 65535)
        from flags in Gen.Choose(0, 255)
        from rcode in Gen.Elements(DnsResponseCode.NoError, DnsResponseCode.NXDomain, DnsResponseCode.ServFail, DnsResponseCode.BadVers)
        from questions in Gen.Zip(Name, Gen.Elements(DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.PTR, (DnsRecordType)65), (n, t) => (n, t)).ArrayOf()
        from answers in Record.ArrayOf()
        from authorities in Record.ArrayOf()
        from additionals in Record.ArrayOf()
        from edns in Gen.OneOf(Gen.Constant<DnsEdns?>(null), Gen.Zip(Gen.Choose(512, 4096), Bytes, (size, opts) => (DnsEdns?)new DnsEdns((ushort)size, 0, size % 2 == 0) { Options = opts }))
        select Build(id, flags, edns is null && rcode == DnsResponseCode.BadVers ? DnsResponseCode.NoError : rcode, questions, answers, authorities, additionals, edns);

    [Fact]
    public void Serialize_then_parse_gives_the_same_message()
    {
        var property = Prop.ForAll(Message.ToArbitrary(), m =>
        {
            var wire = m.ToArray();
            var back = DnsMessage.Parse(wire);
            var again = back.ToArray();
            var same = wire.AsSpan().SequenceEqual(again) && Describe(m) == Describe(back);
            return same ? true : throw new InvalidOperationException($"round trip changed the message:\n{Describe(m)}\n{Describe(back)}\n{Convert.ToHexString(wire)}\n{Convert.ToHexString(again)}");
        });
        Check.One(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    private static DnsMessage Build(int id, int flags, DnsResponseCode rcode, (string, DnsRecordType)[] qs, DnsResourceRecord[] an, DnsResourceRecord[] ns, DnsResourceRecord[] ar, DnsEdns? edns)
    {
        var m = new DnsMessage
        {
            Id = (ushort)id, IsResponse = (flags & 1) != 0, Authoritative = (flags & 2) != 0, Truncated = (flags & 4) != 0,
            RecursionDesired = (flags & 8) != 0, RecursionAvailable = (flags & 16) != 0, AuthenticData = (flags & 32) != 0,
            CheckingDisabled = (flags & 64) != 0, Opcode = (flags & 128) != 0 ? DnsOpcode.Notify : DnsOpcode.Query, ResponseCode = rcode, Edns = edns,
        };
        m.Questions.AddRange(qs.Select(q => new DnsQuestion(q.Item1, q.Item2)));
        m.Answers.AddRange(an);
        m.Authorities.AddRange(ns);
        m.Additionals.AddRange(ar);
        return m;
    }

    private static string Describe(DnsMessage m) =>
        string.Join('|', m.Id, m.IsResponse, m.Opcode, m.Authoritative, m.Truncated, m.RecursionDesired, m.RecursionAvailable, m.AuthenticData,
            m.CheckingDisabled, m.ResponseCode, m.Edns?.UdpPayloadSize, m.Edns?.DnssecOk, m.Edns is null ? "" : Convert.ToHexString(m.Edns.Options),
            string.Join(';', m.Questions).ToLowerInvariant(), string.Join(';', m.Answers.Concat(m.Authorities).Concat(m.Additionals).Select(r => $"{r.Name.ToLowerInvariant()} {r.Type} {r.Ttl} {DataText(r.Data)}")));

    private static string DataText(DnsRecordData d) => d switch
    {
        DnsPtrData p => p.Name.ToLowerInvariant(),
        DnsCnameData c => c.Name.ToLowerInvariant(),
        DnsNsData n => n.Name.ToLowerInvariant(),
        DnsMxData x => $"{x.Preference} {x.Exchange.ToLowerInvariant()}",
        DnsSrvData s => $"{s.Priority} {s.Weight} {s.Port} {s.Target.ToLowerInvariant()}",
        DnsSoaData s => $"{s.MName.ToLowerInvariant()} {s.RName.ToLowerInvariant()} {s.Serial}",
        _ => d.ToString()!,
    };

    private static DnsRecordType TypeOf(DnsRecordData d) => d switch
    {
        DnsAData => DnsRecordType.A,
        DnsAaaaData => DnsRecordType.AAAA,
        DnsPtrData => DnsRecordType.PTR,
        DnsCnameData => DnsRecordType.CNAME,
        DnsNsData => DnsRecordType.NS,
        DnsMxData => DnsRecordType.MX,
        DnsTxtData => DnsRecordType.TXT,
        DnsSrvData => DnsRecordType.SRV,
        DnsSoaData => DnsRecordType.SOA,
        _ => (DnsRecordType)65280,
    };
}
