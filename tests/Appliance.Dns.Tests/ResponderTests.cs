using System.Net;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.Dns.Zone;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>The responder's decisions, driven through the handler seam without sockets.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class ResponderTests
{
    private static readonly SocketAddress MeshClient = new IPEndPoint(IPAddress.Parse("10.10.0.7"), 40000).Serialize();
    private static readonly SocketAddress Stranger = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 40000).Serialize();

    private static DnsServer Server(string? suffix = null)
    {
        var s = new DnsServer(new DnsServerOptions());
        s.UpdateZone(DnsTestServer.MeshZone(suffix));
        return s;
    }

    private static DnsMessage Ask(DnsServer s, byte[] query, SocketAddress? from = null, DnsTransport transport = DnsTransport.Udp)
    {
        var resp = new byte[65535];
        var task = s.Handler.HandleAsync(DnsRequest.Create(query, transport, from ?? MeshClient), resp, CancellationToken.None).AsTask();
        Assert.True(task.IsCompletedSuccessfully, "a local answer must complete synchronously");
        return DnsMessage.Parse(resp.AsSpan(0, task.Result));
    }

    private static DnsMessage Ask(DnsServer s, string name, DnsRecordType type, DnsEdns? edns = null) => Ask(s, DnsTestClient.Query(name, type, edns: edns));

    [Fact]
    public void A_and_aaaa_of_a_node_are_authoritative_answers()
    {
        var s = Server();
        var a = Ask(s, "node2.mesh", DnsRecordType.A);
        Assert.True(a is { IsResponse: true, Authoritative: true, ResponseCode: DnsResponseCode.NoError, Id: 0x1234 });
        Assert.Equal("10.10.0.2", Assert.IsType<DnsAData>(Assert.Single(a.Answers).Data).Address.ToString());
        Assert.Equal(60u, a.Answers[0].Ttl);
        var aaaa = Ask(s, "NODE2.Mesh", DnsRecordType.AAAA);
        Assert.Equal("fd10::2", Assert.IsType<DnsAaaaData>(Assert.Single(aaaa.Answers).Data).Address.ToString());
        Assert.Equal("NODE2.Mesh", aaaa.Questions[0].Name); // the question is echoed as asked (0x20 case kept)
    }

    [Fact]
    public void Unknown_name_in_the_zone_is_nxdomain_with_the_soa_in_authority()
    {
        var r = Ask(Server(), "ghost.mesh", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NXDomain, r.ResponseCode);
        Assert.True(r.Authoritative);
        Assert.Empty(r.Answers);
        var soa = Assert.Single(r.Authorities);
        Assert.Equal(DnsRecordType.SOA, soa.Type);
        Assert.Equal("mesh", soa.Name);
        Assert.Equal(30u, Assert.IsType<DnsSoaData>(soa.Data).Minimum);
    }

    [Fact]
    public void Existing_name_without_the_type_is_nodata_with_soa()
    {
        var r = Ask(Server(), "node1.mesh", DnsRecordType.AAAA);
        Assert.Equal(DnsResponseCode.NoError, r.ResponseCode);
        Assert.Empty(r.Answers);
        Assert.Equal(DnsRecordType.SOA, Assert.Single(r.Authorities).Type);
        // An empty non-terminal (office.mesh, above printer.office.mesh) exists too: NODATA, not NXDOMAIN.
        var ent = Ask(Server(), "office.mesh", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NoError, ent.ResponseCode);
        Assert.Single(ent.Authorities);
    }

    [Fact]
    public void Soa_at_the_apex_is_an_answer()
    {
        var r = Ask(Server(), "mesh", DnsRecordType.SOA);
        Assert.Equal(DnsRecordType.SOA, Assert.Single(r.Answers).Type);
        Assert.Equal(DnsResponseCode.NoError, r.ResponseCode);
    }

    [Fact]
    public void Reverse_names_in_the_mesh_ranges_give_ptr_or_nxdomain()
    {
        var s = Server();
        var ptr = Ask(s, "1.0.10.10.in-addr.arpa", DnsRecordType.PTR);
        Assert.Equal("node1.mesh", Assert.IsType<DnsPtrData>(Assert.Single(ptr.Answers).Data).Name);
        var v6 = Ask(s, DnsReverseName.For(IPAddress.Parse("fd10::2")), DnsRecordType.PTR);
        Assert.Equal("node2.mesh", Assert.IsType<DnsPtrData>(Assert.Single(v6.Answers).Data).Name);
        var missing = Ask(s, "99.0.10.10.in-addr.arpa", DnsRecordType.PTR);
        Assert.Equal(DnsResponseCode.NXDomain, missing.ResponseCode);
        Assert.Equal("0.10.10.in-addr.arpa", Assert.Single(missing.Authorities).Name);
    }

    [Fact]
    public void Suffix_makes_the_zone_network_dot_suffix()
    {
        var s = Server("mesh.internal");
        var r = Ask(s, "node1.mesh.mesh.internal", DnsRecordType.A);
        Assert.Equal("10.10.0.1", Assert.Single(r.Answers).Data.ToString());
        Assert.Equal("node1.mesh.mesh.internal", Assert.IsType<DnsPtrData>(Assert.Single(Ask(s, "1.0.10.10.in-addr.arpa", DnsRecordType.PTR).Answers).Data).Name);
        var nx = Ask(s, "ghost.mesh.mesh.internal", DnsRecordType.A);
        Assert.Equal("mesh.mesh.internal", Assert.Single(nx.Authorities).Name);
    }

    [Fact]
    public async Task Source_outside_the_allowed_ranges_is_refused_with_no_amplification()
    {
        var q = DnsTestClient.Query("node1.mesh", DnsRecordType.A);
        var resp = new byte[65535];
        var n = await Server().Handler.HandleAsync(DnsRequest.Create(q, DnsTransport.Udp, Stranger), resp, default);
        var r = DnsMessage.Parse(resp.AsSpan(0, n));
        Assert.Equal(DnsResponseCode.Refused, r.ResponseCode);
        Assert.Empty(r.Answers);
        Assert.True(n <= q.Length, "a refusal is never bigger than the query");
        // Loopback and the ext-client range given in the options are allowed.
        var o = new DnsServerOptions();
        o.AllowedRanges.Add(IPNetwork.Parse("10.99.0.0/16"));
        var withExt = new DnsServer(o);
        withExt.UpdateZone(DnsTestServer.MeshZone());
        Assert.Equal(DnsResponseCode.NoError, Ask(withExt, q, new IPEndPoint(IPAddress.Parse("10.99.3.4"), 1).Serialize()).ResponseCode);
        Assert.Equal(DnsResponseCode.NoError, Ask(withExt, q, new IPEndPoint(IPAddress.Loopback, 1).Serialize()).ResponseCode);
        Assert.Equal(DnsResponseCode.NoError, Ask(withExt, q, new IPEndPoint(IPAddress.Parse("::ffff:10.10.0.9"), 1).Serialize()).ResponseCode);
    }

    [Fact]
    public void Name_outside_our_zones_without_upstreams_is_refused()
    {
        Assert.Equal(DnsResponseCode.Refused, Ask(Server(), "example.com", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void Malformed_query_gets_formerr_and_unknown_opcode_notimp()
    {
        var s = Server();
        var formErr = Ask(s, Hex.Parse("beef 0100 0001 0001 0000 0000 01 61 00 0001 0001"));
        Assert.Equal(DnsResponseCode.FormErr, formErr.ResponseCode);
        Assert.Equal(0xbeef, formErr.Id);
        var notImp = Ask(s, Hex.Parse("beef 1000 0001 0000 0000 0000 01 61 00 0001 0001")); // opcode STATUS
        Assert.Equal(DnsResponseCode.NotImp, notImp.ResponseCode);
        Assert.Equal(DnsOpcode.Status, notImp.Opcode);
        var badVers = Ask(s, Hex.Parse("beef 0100 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 04d0 00 01 0000 0000"));
        Assert.Equal(DnsResponseCode.BadVers, badVers.ResponseCode);
        Assert.Equal(0, s.Statistics.Refused);
        Assert.Equal(1, s.Statistics.FormErr);
        Assert.Equal(1, s.Statistics.NotImp);
    }

    [Fact]
    public void Edns_query_gets_our_opt_with_the_do_bit_echoed()
    {
        var s = Server();
        var withDo = Ask(s, "node1.mesh", DnsRecordType.A, new DnsEdns(4096, 0, true));
        Assert.True(withDo.Edns is { DnssecOk: true, UdpPayloadSize: 1232 });
        var withoutDo = Ask(s, "node1.mesh", DnsRecordType.A, new DnsEdns(4096));
        Assert.False(withoutDo.Edns!.DnssecOk);
        Assert.Null(Ask(s, "node1.mesh", DnsRecordType.A).Edns);
        var nx = Ask(s, "ghost.mesh", DnsRecordType.A, new DnsEdns(1232, 0, true));
        Assert.True(nx.Edns!.DnssecOk);
        Assert.Equal(DnsResponseCode.NXDomain, nx.ResponseCode);
    }

    [Fact]
    public void Update_swaps_the_zone_without_restart_and_bad_names_change_nothing()
    {
        var s = Server();
        s.UpdateZone(new DnsMeshZone("mesh", [new DnsHostEntry("node1", [IPAddress.Parse("10.10.0.111")])], [DnsTestServer.MeshV4]));
        Assert.Equal("10.10.0.111", Ask(s, "node1.mesh", DnsRecordType.A).Answers.Single().Data.ToString());
        Assert.Equal(DnsResponseCode.NXDomain, Ask(s, "node2.mesh", DnsRecordType.A).ResponseCode);
        var bad = new DnsMeshZone("mesh", [new DnsHostEntry(new string('x', 64), [IPAddress.Parse("10.10.0.5")])], [DnsTestServer.MeshV4]);
        var e = Assert.Throws<ArgumentException>(() => s.UpdateZone(bad));
        Assert.Contains("63", e.Message, StringComparison.Ordinal);
        Assert.Equal("10.10.0.111", Ask(s, "node1.mesh", DnsRecordType.A).Answers.Single().Data.ToString());
        Assert.True(s.RemoveZone("mesh"));
        Assert.Equal(DnsResponseCode.Refused, Ask(s, "node1.mesh", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void Hosts_entries_are_served_and_fall_through_unless_the_zone_is_authoritative()
    {
        var o = new DnsServerOptions();
        o.AllowedRanges.Add(IPNetwork.Parse("10.10.0.0/24"));
        var s = new DnsServer(o);
        var entries = new List<DnsHostsEntry> { new(IPAddress.Parse("192.168.1.5"), ["nas.lan", "files.lan"], 1) };
        s.SetHosts(new DnsHostsSource(entries));
        Assert.Equal("192.168.1.5", Ask(s, "files.lan", DnsRecordType.A).Answers.Single().Data.ToString());
        Assert.Equal("nas.lan", Ask(s, "5.1.168.192.in-addr.arpa", DnsRecordType.PTR).Answers.Single().Data.ToString());
        Assert.Equal(DnsResponseCode.Refused, Ask(s, "other.lan", DnsRecordType.A).ResponseCode); // falls through; no upstream
        s.SetHosts(new DnsHostsSource(entries) { AuthoritativeZones = ["lan"] });
        Assert.Equal(DnsResponseCode.NXDomain, Ask(s, "other.lan", DnsRecordType.A).ResponseCode);
    }

    [Fact]
    public void Tcp_answer_is_never_truncated_by_the_handler()
    {
        var r = Ask(Server(), DnsTestClient.Query("many.mesh", DnsRecordType.A), transport: DnsTransport.Tcp);
        Assert.Equal(60, r.Answers.Count);
        Assert.False(r.Truncated);
    }
}
