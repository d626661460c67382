using System.Net;
using Appliance.Contracts;
using Appliance.Netlink;
using Appliance.Netlink.Route;
using Appliance.TestSupport;
using Appliance.WireGuard.Genl;

namespace Appliance.WireGuard.Tests;

public sealed class WgGenlParserTests
{
    private static readonly WgKey K2 = new(Enumerable.Repeat((byte)0x22, 32).ToArray());

    /// <summary>A WG_CMD_GET_DEVICE reply as the kernel writes it (what <c>wg show wg0 dump</c> reads).</summary>
    internal static byte[] GetReply(bool multi = true, bool unknownAttribute = true)
    {
        var b = new byte[1024];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(0x15, multi ? NetlinkMessageFlags.Multi : NetlinkMessageFlags.None);
        w.WriteGenericHeader(WgGenlConstants.WG_CMD_GET_DEVICE, 1);
        w.WriteU32(WgGenlConstants.WGDEVICE_A_IFINDEX, 9);
        w.WriteString(WgGenlConstants.WGDEVICE_A_IFNAME, "wg0");
        w.WriteU16(WgGenlConstants.WGDEVICE_A_LISTEN_PORT, 51820);
        w.WriteU32(WgGenlConstants.WGDEVICE_A_FWMARK, 0);
        if (unknownAttribute)
        {
            w.WriteU32(99, 12345); // an attribute a future kernel might add
        }
        int peers = w.BeginNested(WgGenlConstants.WGDEVICE_A_PEERS);
        int p = w.BeginNested(0);
        K2.CopyTo(w.ReserveAttribute(WgGenlConstants.WGPEER_A_PUBLIC_KEY, 32));
        w.ReserveAttribute(WgGenlConstants.WGPEER_A_PRESHARED_KEY, 32);
        SockaddrCodec.Write(w.ReserveAttribute(WgGenlConstants.WGPEER_A_ENDPOINT, 28), IPEndPoint.Parse("[2001:db8::7]:4500"));
        w.WriteU16(WgGenlConstants.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
        var ts = w.ReserveAttribute(WgGenlConstants.WGPEER_A_LAST_HANDSHAKE_TIME, 16);
        BitConverter.TryWriteBytes(ts, 1_700_000_000L);
        BitConverter.TryWriteBytes(ts[8..], 500_000_000L);
        w.WriteU64(WgGenlConstants.WGPEER_A_RX_BYTES, 1234);
        w.WriteU64(WgGenlConstants.WGPEER_A_TX_BYTES, 5678);
        w.WriteU32(WgGenlConstants.WGPEER_A_PROTOCOL_VERSION, 1);
        int ips = w.BeginNested(WgGenlConstants.WGPEER_A_ALLOWEDIPS);
        int ip = w.BeginNested(0);
        w.WriteU16(WgGenlConstants.WGALLOWEDIP_A_FAMILY, 2);
        w.WriteAddress(WgGenlConstants.WGALLOWEDIP_A_IPADDR, IPAddress.Parse("10.0.0.0"));
        w.WriteU8(WgGenlConstants.WGALLOWEDIP_A_CIDR_MASK, 8);
        w.EndNested(ip);
        w.EndNested(ips);
        w.EndNested(p);
        w.EndNested(peers);
        w.EndMessage(m);
        return b[..w.Length];
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Parses_peers_with_handshake_time_counters_and_IPv6_endpoint_skipping_unknown_attributes()
    {
        var parser = new WgGenlParser();
        var r = new NetlinkMessageReader(GetReply());
        Assert.True(r.TryRead(out var m));
        parser.Add(m);
        var d = parser.Build();
        Assert.Equal("wg0", d.Name);
        Assert.Equal(9, d.InterfaceIndex);
        Assert.Equal(51820, d.ListenPort);
        var p = Assert.Single(d.Peers);
        Assert.Equal(K2, p.PublicKey);
        Assert.True(p.PresharedKey.IsZero);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::7]:4500"), p.Endpoint);
        Assert.Equal(25, p.PersistentKeepalive);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(500), p.LastHandshake);
        Assert.Equal(1234UL, p.RxBytes);
        Assert.Equal(5678UL, p.TxBytes);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8")], p.AllowedIPs);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_truncated_reply_is_a_typed_protocol_error()
    {
        var reply = GetReply();
        // Claim the full length but cut the datagram: the reader refuses it.
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var r = new NetlinkMessageReader(reply.AsSpan(0, reply.Length - 10));
            r.TryRead(out _);
        });
        // A peer attribute whose nla_len overruns its parent: the WireGuard parser reports a typed error.
        var broken = (byte[])reply.Clone();
        int keyAttr = broken.AsSpan().IndexOf(K2.ToArray()) - 4;
        BitConverter.TryWriteBytes(broken.AsSpan(keyAttr), (ushort)0x7ff0);
        var e = Assert.Throws<WireGuardProtocolException>(() =>
        {
            var r = new NetlinkMessageReader(broken);
            Assert.True(r.TryRead(out var m));
            new WgGenlParser().Add(m);
        });
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Errno, Type> KernelErrors => new()
    {
        { "no such device", Errno.ENODEV, typeof(WireGuardDeviceNotFoundException) },
        { "not permitted (no CAP_NET_ADMIN)", Errno.EPERM, typeof(WireGuardOperationException) },
        { "invalid", Errno.EINVAL, typeof(WireGuardOperationException) },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(KernelErrors))]
    public async Task Kernel_errors_are_translated_once_into_typed_exceptions(string name, Errno errno, Type expected)
    {
        _ = name;
        using var kernel = new FakeGenlKernel((req, _) => [FakeGenlKernel.Error(req, errno)]);
        using var backend = new KernelWireGuardBackend(kernel, new FakeRouteNetlink(), 0x15, ownsSockets: false);
        var get = await Assert.ThrowsAnyAsync<WireGuardException>(() => backend.GetDeviceAsync("wg0"));
        Assert.IsType(expected, get);
        var set = await Assert.ThrowsAnyAsync<WireGuardException>(() => backend.ApplyAsync("wg0", new WgDevicePlan { ListenPort = 1 }));
        Assert.IsType(expected, set);
        if (set is WireGuardOperationException op)
        {
            Assert.Equal(errno, op.Errno);
            Assert.Contains(errno.ToString(), op.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Create_of_an_existing_non_wireguard_link_is_EEXIST()
    {
        using var kernel = new FakeGenlKernel((req, _) => []);
        using var backend = new KernelWireGuardBackend(kernel, WithLink("eth0", "veth"), 0x15, ownsSockets: false);
        var e = await Assert.ThrowsAsync<WireGuardOperationException>(() => backend.EnsureInterfaceAsync("eth0"));
        Assert.Equal(Errno.EEXIST, e.Errno);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Get_device_follows_the_dump_and_apply_sends_one_message_per_chunk()
    {
        var reply = GetReply();
        using var kernel = new FakeGenlKernel((req, _) => req[16] == WgGenlConstants.WG_CMD_GET_DEVICE
            ? [FakeGenlKernel.Reply(req, reply), FakeGenlKernel.Done(req)]
            : [FakeGenlKernel.Error(req, Errno.None)]);
        using var backend = new KernelWireGuardBackend(kernel, new FakeRouteNetlink(), 0x15, ownsSockets: false, maxMessageSize: 4096);
        var d = await backend.GetDeviceAsync("wg0");
        Assert.Single(d.Peers);
        await backend.ApplyAsync("wg0", WgGenlChunkingTests.BigPlan(100));
        Assert.True(kernel.Sent.Count > 3);
        int before = kernel.Sent.Count;
        await backend.ApplyAsync("wg0", WgDevicePlan.Empty);
        Assert.Equal(before, kernel.Sent.Count);
    }

    public static TheoryData<string, Type> TransportFailures => new()
    {
        { "no ACK within the receive timeout", typeof(WireGuardTransportException) },
        { "truncated ACK", typeof(WireGuardProtocolException) },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(TransportFailures))]
    public async Task A_transport_failure_on_the_second_chunk_is_a_WireGuard_exception_and_the_configurator_rolls_back(string name, Type expected)
    {
        // The first SET chunk is acknowledged, the second fails in transport; the rollback's GET and SETs succeed.
        int sets = 0;
        using var kernel = new FakeGenlKernel((req, _) =>
        {
            if (req[16] == WgGenlConstants.WG_CMD_GET_DEVICE)
            {
                return [FakeGenlKernel.Reply(req, GetReply()), FakeGenlKernel.Done(req)];
            }
            if (++sets != 2)
            {
                return [FakeGenlKernel.Error(req, Errno.None)];
            }
            return name == "truncated ACK" ? [TruncatedAck(req)] : [];
        });
        using var backend = new KernelWireGuardBackend(kernel, new FakeRouteNetlink(), 0x15, ownsSockets: false, maxMessageSize: 4096);
        var big = WgGenlChunkingTests.BigPlan(100);
        var desired = new WgDeviceConfig(big.PrivateKey!.Value) { Peers = [.. big.Peers.Select(p => new WgPeerConfig(p.PublicKey) { AllowedIPs = p.AllowedIPs })] };
        var e = await Assert.ThrowsAnyAsync<WireGuardException>(() => new WireGuardConfigurator(backend).ApplyAsync("wg0", desired));
        Assert.IsType(expected, e);
        // GET, SET 1, SET 2 (failed), then the rollback re-reads the device (this fake always answers the same
        // device, so the diff back is empty; the Netns and VM tests prove the restore against real implementations).
        Assert.Equal(4, kernel.Sent.Count);
        Assert.Equal(WgGenlConstants.WG_CMD_GET_DEVICE, kernel.Sent[3][16]);
    }

    /// <summary>An NLMSG_ERROR whose length field says 18: a header and only 2 of the 4 error bytes.</summary>
    private static byte[] TruncatedAck(byte[] request)
    {
        var b = FakeGenlKernel.Error(request, Errno.None)[..18];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b, 18);
        return b;
    }

    private static FakeRouteNetlink WithLink(string name, string kind)
    {
        var route = new FakeRouteNetlink();
        route.CreateLink(name, kind);
        return route;
    }
}
