using System.Net;
using Appliance.Dns.Forwarding;
using Appliance.Dns.Wire;

namespace Appliance.TestSupport;

/// <summary>An upstream in memory: answers each question with what <see cref="Answer"/> builds, counts calls, can be held back.</summary>
public sealed class FakeUpstream : IDnsUpstreamTransport
{
    private int _calls;

    public Func<IPEndPoint, DnsMessage, DnsMessage?> Answer { get; set; } = (_, q) => Reply(q, 60, "192.0.2.10");

    /// <summary>When set, every exchange waits for it (to pile up concurrent identical questions).</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public async Task<byte[]> ExchangeAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (Gate is { } g)
        {
            await g.Task.WaitAsync(cancellationToken);
        }
        var q = DnsMessage.Parse(query.Span);
        var r = Answer(upstream, q) ?? throw new IOException($"upstream {upstream} timed out (fake)");
        return r.ToArray();
    }

    public static DnsMessage Reply(DnsMessage q, uint ttl, params string[] addresses)
    {
        var r = Base(q, DnsResponseCode.NoError);
        foreach (var a in addresses)
        {
            r.Answers.Add(new DnsResourceRecord(q.Questions[0].Name, DnsRecordType.A, 1, ttl, new DnsAData(IPAddress.Parse(a))));
        }
        return r;
    }

    public static DnsMessage NxDomain(DnsMessage q, uint soaTtl, uint minimum, bool withSoa = true)
    {
        var r = Base(q, DnsResponseCode.NXDomain);
        if (withSoa)
        {
            r.Authorities.Add(new DnsResourceRecord("example", DnsRecordType.SOA, 1, soaTtl, new DnsSoaData("ns.example", "h.example", 1, 2, 3, 4, minimum)));
        }
        return r;
    }

    private static DnsMessage Base(DnsMessage q, DnsResponseCode rcode)
    {
        var r = new DnsMessage { Id = q.Id, IsResponse = true, RecursionDesired = true, RecursionAvailable = true, ResponseCode = rcode, Edns = new DnsEdns(1232, 0, q.Edns?.DnssecOk ?? false) };
        r.Questions.Add(q.Questions[0]);
        return r;
    }
}
