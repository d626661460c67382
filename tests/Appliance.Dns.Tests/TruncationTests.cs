using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

[Trait("Category", TestCategories.Unit)]
public sealed class TruncationTests
{
    private static byte[] ManyAnswers(int n, DnsEdns? edns)
    {
        var m = new DnsMessage { Id = 7, IsResponse = true, Edns = edns };
        m.Questions.Add(new DnsQuestion("many.mesh", DnsRecordType.A));
        for (var i = 0; i < n; i++)
        {
            m.Answers.Add(new DnsResourceRecord("many.mesh", DnsRecordType.A, 1, 60, new DnsAData(new System.Net.IPAddress([10, 10, 1, (byte)i]))));
        }
        return m.ToArray();
    }

    [Fact]
    public void Over_the_limit_keeps_header_question_and_opt_with_tc()
    {
        var full = ManyAnswers(60, new DnsEdns(600, 0, true));
        Assert.True(full.Length > 600);
        var n = DnsTruncation.Apply(full, full.Length, 600);
        var cut = DnsMessage.Parse(full.AsSpan(0, n));
        Assert.True(cut.Truncated);
        Assert.Empty(cut.Answers);
        Assert.Single(cut.Questions);
        Assert.True(cut.Edns is { DnssecOk: true });
    }

    [Fact]
    public void Within_the_limit_is_untouched()
    {
        var full = ManyAnswers(20, null);
        Assert.True(full.Length <= 512);
        Assert.Equal(full.Length, DnsTruncation.Apply(full, full.Length, 512));
        Assert.False(DnsMessage.Parse(full).Truncated);
    }

    [Theory]
    [InlineData(false, 0, 512)]
    [InlineData(true, 100, 512)]    // RFC 6891 6.2.5: below 512 counts as 512
    [InlineData(true, 1000, 1000)]
    [InlineData(true, 4096, 1232)]  // capped at our own maximum
    public void Udp_limit_follows_edns(bool edns, ushort advertised, int expected)
    {
        var q = new DnsParsedQuery(1, 0, 3, DnsRecordType.A, 1, 19, edns, advertised, false);
        Assert.Equal(expected, q.UdpLimit(1232));
    }
}
