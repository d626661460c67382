using System.Net;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Dns.Tests;

/// <summary>Forwarding through the handler with an in-memory upstream and a hand-moved clock.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class ForwarderTests
{
    private static readonly SocketAddress Client = new IPEndPoint(IPAddress.Loopback, 5000).Serialize();
    private readonly FakeTimeProvider _clock = new();
    private readonly FakeUpstream _upstream = new();

    private DnsServer Server(Action<DnsServerOptions>? configure = null)
    {
        var o = new DnsServerOptions();
        o.Upstreams.Add(new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53));
        configure?.Invoke(o);
        var s = new DnsServer(o, _clock, _upstream);
        s.UpdateZone(DnsTestServer.MeshZone());
        return s;
    }

    private static async Task<DnsMessage> AskAsync(DnsServer s, string name, DnsRecordType type = DnsRecordType.A, DnsEdns? edns = null)
    {
        var resp = new byte[65535];
        var n = await s.Handler.HandleAsync(DnsRequest.Create(DnsTestClient.Query(name, type, (ushort)Random.Shared.Next(65536), edns), DnsTransport.Udp, Client), resp, default);
        return DnsMessage.Parse(resp.AsSpan(0, n));
    }

    [Fact]
    public async Task Positive_answer_is_cached_with_ttl_counting_down_then_expires()
    {
        var s = Server();
        var first = await AskAsync(s, "www.example");
        Assert.Equal("192.0.2.10", first.Answers.Single().Data.ToString());
        Assert.True(first is { RecursionAvailable: true, Authoritative: false });
        Assert.Equal(60u, first.Answers[0].Ttl);
        _clock.Advance(TimeSpan.FromSeconds(25));
        var cached = await AskAsync(s, "WWW.example");
        Assert.Equal(1, _upstream.Calls);
        Assert.Equal(35u, cached.Answers.Single().Ttl);
        Assert.Equal("WWW.example", cached.Questions[0].Name);
        Assert.Equal(1, s.Statistics.CacheHits);
        _clock.Advance(TimeSpan.FromSeconds(36));
        await AskAsync(s, "www.example");
        Assert.Equal(2, _upstream.Calls);
    }

    [Fact]
    public async Task Cache_ttl_cap_bounds_lifetime_and_served_ttl()
    {
        var s = Server(o => o.CacheMaxTtl = TimeSpan.FromSeconds(30));
        _upstream.Answer = (_, q) => FakeUpstream.Reply(q, 3600, "192.0.2.20");
        Assert.Equal(30u, (await AskAsync(s, "long.example")).Answers.Single().Ttl);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1u, (await AskAsync(s, "long.example")).Answers.Single().Ttl);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await AskAsync(s, "long.example");
        Assert.Equal(2, _upstream.Calls);
    }

    [Fact]
    public async Task Negative_answer_is_cached_for_the_soa_minimum_rfc2308()
    {
        var s = Server();
        _upstream.Answer = (_, q) => FakeUpstream.NxDomain(q, soaTtl: 300, minimum: 20);
        var r = await AskAsync(s, "nope.example");
        Assert.Equal(DnsResponseCode.NXDomain, r.ResponseCode);
        Assert.Equal(20u, r.Authorities.Single().Ttl);
        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(DnsResponseCode.NXDomain, (await AskAsync(s, "nope.example")).ResponseCode);
        Assert.Equal(1, _upstream.Calls);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await AskAsync(s, "nope.example");
        Assert.Equal(2, _upstream.Calls);
    }

    [Fact]
    public async Task Negative_answer_without_soa_is_not_cached()
    {
        var s = Server();
        _upstream.Answer = (_, q) => FakeUpstream.NxDomain(q, 0, 0, withSoa: false);
        await AskAsync(s, "nosoa.example");
        await AskAsync(s, "nosoa.example");
        Assert.Equal(2, _upstream.Calls);
    }

    [Fact]
    public async Task Concurrent_identical_questions_share_one_upstream_query()
    {
        var s = Server();
        _upstream.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asks = Enumerable.Range(0, 20).Select(_ => AskAsync(s, "popular.example")).ToArray();
        var other = AskAsync(s, "other.example");
        await Task.Delay(100);
        _upstream.Gate.SetResult();
        var answers = await Task.WhenAll(asks);
        await other;
        Assert.All(answers, a => Assert.Equal("192.0.2.10", a.Answers.Single().Data.ToString()));
        Assert.Equal(2, _upstream.Calls); // one for popular.example, one for other.example
        Assert.Equal(19, s.Statistics.DedupJoins);
    }

    [Fact]
    public async Task Do_bit_is_part_of_the_question_and_echoed()
    {
        var s = Server();
        var plain = await AskAsync(s, "sig.example", edns: new DnsEdns(1232));
        var withDo = await AskAsync(s, "sig.example", edns: new DnsEdns(1232, 0, true));
        Assert.False(plain.Edns!.DnssecOk);
        Assert.True(withDo.Edns!.DnssecOk);
        Assert.Equal(2, _upstream.Calls);
    }

    [Fact]
    public async Task Failing_upstream_is_skipped_and_all_failing_is_servfail()
    {
        var s = Server(o => o.Upstreams.Add(new IPEndPoint(IPAddress.Parse("192.0.2.54"), 53)));
        _upstream.Answer = (ep, q) => ep.Address.ToString() == "192.0.2.53" ? null : FakeUpstream.Reply(q, 60, "192.0.2.99");
        Assert.Equal("192.0.2.99", (await AskAsync(s, "failover.example")).Answers.Single().Data.ToString());
        _upstream.Answer = (_, _) => null;
        var r = await AskAsync(s, "down.example");
        Assert.Equal(DnsResponseCode.ServFail, r.ResponseCode);
        Assert.Single(r.Questions);
        Assert.Equal(1, s.Statistics.ServFail);
    }

    [Fact]
    public async Task Answer_for_a_different_question_or_id_is_rejected()
    {
        var s = Server();
        _upstream.Answer = (_, q) =>
        {
            var r = FakeUpstream.Reply(q, 60, "203.0.113.66");
            r.Questions[0] = new DnsQuestion("evil.example", DnsRecordType.A);
            return r;
        };
        Assert.Equal(DnsResponseCode.ServFail, (await AskAsync(s, "good.example")).ResponseCode);
        _upstream.Answer = (_, q) =>
        {
            var r = FakeUpstream.Reply(q, 60, "203.0.113.66");
            r.Id ^= 1;
            return r;
        };
        Assert.Equal(DnsResponseCode.ServFail, (await AskAsync(s, "good2.example")).ResponseCode);
    }

    [Fact]
    public void Cache_is_bounded_and_keeps_a_recently_used_entry_when_full()
    {
        var cache = new Appliance.Dns.Forwarding.DnsCache(2, _clock);
        var q = DnsTestClient.Query("x", DnsRecordType.A);
        var resp = FakeUpstream.Reply(DnsMessage.Parse(q), 60, "192.0.2.1").ToArray();
        var entry = Appliance.Dns.Forwarding.DnsCacheEntry.TryCreate(q, 19, resp, TimeSpan.FromHours(1), TimeSpan.FromHours(1))!;
        Assert.NotNull(entry);
        var k1 = new Appliance.Dns.Forwarding.DnsCacheKey("a", 1, 1, false, false);
        var k2 = k1 with { Name = "b" };
        var k3 = k1 with { Name = "c" };
        cache.Set(k1, entry);
        cache.Set(k2, entry);
        Assert.True(cache.TryGet(k1, out _, out _)); // k1 is now the most recent
        cache.Set(k3, entry);
        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(k2, out _, out _));
        Assert.True(cache.TryGet(k1, out _, out _));
    }

    [Fact]
    public void Cache_gives_the_slot_of_an_expired_entry_to_the_next_one_and_sweeps_over_used_entries()
    {
        var cache = new Appliance.Dns.Forwarding.DnsCache(3, _clock);
        var q = DnsTestClient.Query("x", DnsRecordType.A);
        var shortLived = Appliance.Dns.Forwarding.DnsCacheEntry.TryCreate(q, 19, FakeUpstream.Reply(DnsMessage.Parse(q), 10, "192.0.2.1").ToArray(), TimeSpan.FromHours(1), TimeSpan.FromHours(1))!;
        var longLived = Appliance.Dns.Forwarding.DnsCacheEntry.TryCreate(q, 19, FakeUpstream.Reply(DnsMessage.Parse(q), 600, "192.0.2.1").ToArray(), TimeSpan.FromHours(1), TimeSpan.FromHours(1))!;
        var k = new Appliance.Dns.Forwarding.DnsCacheKey("a", 1, 1, false, false);
        cache.Set(k, shortLived);
        cache.Set(k with { Name = "b" }, longLived);
        cache.Set(k with { Name = "c" }, longLived);
        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.False(cache.TryGet(k, out _, out _)); // expired: removed on sight
        Assert.Equal(2, cache.Count);
        cache.Set(k with { Name = "d" }, longLived); // takes a's slot, nothing live is dropped
        Assert.True(cache.TryGet(k with { Name = "b" }, out _, out var age));
        Assert.Equal(TimeSpan.FromSeconds(11), age);
        Assert.True(cache.TryGet(k with { Name = "c" }, out _, out _));
        Assert.True(cache.TryGet(k with { Name = "d" }, out _, out _));
        // Full and all three used since the hand last passed: one sweep clears them, the next entry takes the first.
        cache.Set(k with { Name = "e" }, longLived);
        Assert.Equal(3, cache.Count);
        Assert.True(cache.TryGet(k with { Name = "e" }, out _, out _));
        Assert.Equal(2, new[] { "b", "c", "d" }.Count(n => cache.TryGet(k with { Name = n }, out _, out _)));
    }
}
