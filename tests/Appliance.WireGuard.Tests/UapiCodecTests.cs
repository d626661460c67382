using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.Netlink;
using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

public sealed class UapiCodecTests
{
    private static readonly WgKey K1 = new(Enumerable.Repeat((byte)0x11, 32).ToArray());
    private static readonly WgKey K2 = new(Enumerable.Repeat((byte)0x22, 32).ToArray());
    private const string Hex11 = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Hex22 = "2222222222222222222222222222222222222222222222222222222222222222";

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Set_request_golden_text()
    {
        // wg setconf wg0 <(private key, port 51820, fwmark 0x42, peer 22.. endpoint [2001:db8::1]:51820 keepalive 25 allowed 10.0.0.2/32,fd00::/64)
        var plan = new WgDevicePlan
        {
            PrivateKey = K1, ListenPort = 51820, FwMark = 0x42, ReplacePeers = true,
            Peers = [new WgPeerChange(K2) { PresharedKey = default(WgKey), Endpoint = IPEndPoint.Parse("[2001:db8::1]:51820"), PersistentKeepalive = 25, ReplaceAllowedIPs = true, AllowedIPs = [IPNetwork.Parse("10.0.0.2/32"), IPNetwork.Parse("fd00::/64")] }],
        };
        Assert.Equal($"""
            set=1
            private_key={Hex11}
            listen_port=51820
            fwmark=66
            replace_peers=true
            public_key={Hex22}
            preshared_key=0000000000000000000000000000000000000000000000000000000000000000
            endpoint=[2001:db8::1]:51820
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=10.0.0.2/32
            allowed_ip=fd00::/64


            """.Replace("\r", "", StringComparison.Ordinal), UapiEncoder.SetDeviceText(plan));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Remove_and_update_only_golden_text()
    {
        // wg set wg0 peer 11.. remove peer 22.. endpoint 192.0.2.1:51820 allowed-ips +10.9.0.0/24 (update only)
        var plan = new WgDevicePlan
        {
            Peers = [new WgPeerChange(K1) { Remove = true }, new WgPeerChange(K2) { UpdateOnly = true, Endpoint = IPEndPoint.Parse("192.0.2.1:51820"), AllowedIPs = [IPNetwork.Parse("10.9.0.0/24")] }],
        };
        Assert.Equal($"set=1\npublic_key={Hex11}\nremove=true\npublic_key={Hex22}\nupdate_only=true\nendpoint=192.0.2.1:51820\nallowed_ip=10.9.0.0/24\n\n", UapiEncoder.SetDeviceText(plan));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Parses_a_get_reply_as_wireguard_go_writes_it()
    {
        var pair = X25519.GenerateKeyPair();
        var reply = $"private_key={pair.PrivateKey.ToHex()}\nlisten_port=51820\nfwmark=7\npublic_key={Hex22}\npreshared_key=0000000000000000000000000000000000000000000000000000000000000000\nprotocol_version=1\nendpoint=[2001:db8::1]:51820\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=250000000\ntx_bytes=92\nrx_bytes=148\npersistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/64\nsome_future_key=1\nerrno=0\n\n";
        var d = UapiParser.ParseDevice("wg0", reply);
        Assert.Equal(pair.PublicKey, d.PublicKey);
        Assert.Equal(51820, d.ListenPort);
        Assert.Equal(7u, d.FwMark);
        var p = Assert.Single(d.Peers);
        Assert.Equal(K2, p.PublicKey);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:51820"), p.Endpoint);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(250), p.LastHandshake);
        Assert.Equal(148UL, p.RxBytes);
        Assert.Equal(92UL, p.TxBytes);
        Assert.Equal(25, p.PersistentKeepalive);
        Assert.Equal([IPNetwork.Parse("10.0.0.2/32"), IPNetwork.Parse("fd00::/64")], p.AllowedIPs);
    }

    public static TheoryData<string, string, string> MalformedReplies => new()
    {
        { "no errno line (truncated)", $"listen_port=1\npublic_key={Hex22}\n", "without errno" },
        { "line without '='", "listen_port\nerrno=0\n\n", "expected key=value" },
        { "port not a number", "listen_port=abc\nerrno=0\n\n", "listen_port=abc" },
        { "key not hex", "public_key=zz\nerrno=0\n\n", "hex key" },
        { "peer field before public_key", "allowed_ip=10.0.0.0/8\nerrno=0\n\n", "before any public_key" },
        { "allowed ip not a prefix", $"public_key={Hex22}\nallowed_ip=10.0.0/x\nerrno=0\n\n", "allowed_ip" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(MalformedReplies))]
    public void Malformed_replies_are_typed_protocol_errors(string name, string reply, string mention)
    {
        _ = name;
        var e = Assert.ThrowsAny<WireGuardProtocolException>(() => UapiParser.ParseDevice("wg0", reply));
        Assert.Contains(mention, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, Errno> ErrnoReplies => new()
    {
        { "ok", "errno=0\n\n", Errno.None },
        { "negative as wireguard-go writes it", "errno=-22\n\n", Errno.EINVAL },
        { "positive", "errno=19\n\n", Errno.ENODEV },
        { "malformed line (ipc.IpcErrorProtocol)", "errno=-71\n\n", Errno.EPROTO },
        { "unknown failure (ipc.IpcErrorUnknown)", "errno=-55\n\n", Errno.ENOANO },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(ErrnoReplies))]
    public void Errno_lines(string name, string reply, Errno expected)
    {
        _ = name;
        Assert.Equal(expected, UapiParser.ParseErrno(reply));
        Assert.Equal(expected.ToString(), Netlink.ErrnoNames.Of(expected));
    }

    public static TheoryData<string, SocketError, bool, Type> ConnectFailures => new()
    {
        { "permission denied on an existing socket", SocketError.AccessDenied, true, typeof(WireGuardOperationException) },
        { "permission denied, socket not visible", SocketError.AccessDenied, false, typeof(WireGuardOperationException) },
        { "nobody listening", SocketError.ConnectionRefused, true, typeof(WireGuardDeviceNotFoundException) },
        { "no socket file", SocketError.AddressNotAvailable, false, typeof(WireGuardDeviceNotFoundException) },
        { "other error, socket there", SocketError.TooManyOpenSockets, true, typeof(WireGuardTransportException) },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(ConnectFailures))]
    public void UAPI_connect_failures_are_classified_and_access_denied_is_not_device_not_found(string name, SocketError error, bool socketExists, Type expected)
    {
        _ = name;
        using var dir = new TempDirectory("apwg-uapi");
        var path = dir.Combine("wg0.sock");
        if (socketExists)
        {
            File.WriteAllText(path, "");
        }
        var e = UapiSocketTransport.ConnectFailure("wg0", path, new SocketException((int)error));
        Assert.IsType(expected, e);
        if (e is WireGuardOperationException op)
        {
            Assert.Equal("EACCES", op.ErrnoName);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_set_refused_by_the_implementation_is_a_typed_operation_error()
    {
        var transport = new FakeUapiTransport(_ => "errno=-22\n\n");
        using var backend = new UserspaceWireGuardBackend(transport);
        var e = await Assert.ThrowsAsync<WireGuardOperationException>(() => backend.ApplyAsync("wg0", new WgDevicePlan { ListenPort = 5 }));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal("EINVAL", e.ErrnoName);
        await backend.ApplyAsync("wg0", WgDevicePlan.Empty);
        Assert.Single(transport.Requests);
    }

    public static TheoryData<string, Exception> UapiTransportFailures => new()
    {
        { "connection reset", new IOException("connection reset by peer") },
        { "socket error", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset) },
        { "transport's own timeout", new TaskCanceledException("timed out") },
        { "receive timeout", new TimeoutException("no reply") },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(UapiTransportFailures))]
    public async Task UAPI_transport_failures_are_WireGuard_transport_exceptions(string name, Exception failure)
    {
        _ = name;
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => throw failure));
        var set = await Assert.ThrowsAsync<WireGuardTransportException>(() => backend.ApplyAsync("wg0", new WgDevicePlan { ListenPort = 5 }));
        Assert.Equal("wg0", set.InterfaceName);
        await Assert.ThrowsAsync<WireGuardTransportException>(() => backend.GetDeviceAsync("wg0"));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task The_callers_cancellation_stays_an_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ =>
        {
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        }));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.ApplyAsync("wg0", new WgDevicePlan { ListenPort = 5 }, cts.Token));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_rtnetlink_client_is_disposed_only_when_the_backend_owns_it()
    {
        var borrowed = new FakeRouteNetlink();
        new UserspaceWireGuardBackend(new FakeUapiTransport(_ => ""), null, borrowed).Dispose();
        Assert.False(borrowed.Disposed);
        var owned = new FakeRouteNetlink();
        new UserspaceWireGuardBackend(new FakeUapiTransport(_ => ""), null, owned, ownsRoute: true).Dispose();
        Assert.True(owned.Disposed);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_missing_socket_means_the_device_does_not_exist()
    {
        using var dir = new TempDirectory("apwg-uapi");
        var backend = new UserspaceWireGuardBackend(new UapiSocketTransport(dir.Path));
        var e = await Assert.ThrowsAsync<WireGuardDeviceNotFoundException>(() => backend.GetDeviceAsync("nope0"));
        Assert.Equal("nope0", e.InterfaceName);
    }
}
