using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

/// <summary>
/// The agent's status read (issue #15): every second it reads its device, and with 100 idle peers that was ~250 KB of
/// reply buffers, reply text and per-peer objects each time. A read now goes into a kept buffer and hands back the
/// last read's objects for what did not change; these tests hold the values right and the allocation down.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class UapiStatusReadTests
{
    private static readonly WgKey Own = X25519.GenerateKeyPair().PrivateKey;
    private static readonly WgKey[] Keys = [.. Enumerable.Range(0, 100).Select(_ => X25519.GenerateKeyPair().PublicKey)];

    /// <summary>A get=1 reply as wireguard-go writes it: <paramref name="peers"/> peers, peer i with tx_bytes <paramref name="tx"/>(i).</summary>
    internal static string Reply(int peers, Func<int, ulong>? tx = null, Func<int, string>? endpoint = null, Func<int, string[]>? allowed = null)
    {
        var reply = new StringBuilder($"private_key={Own.ToHex()}\nlisten_port=51820\n");
        for (var i = 0; i < peers; i++)
        {
            reply.Append($"public_key={Keys[i].ToHex()}\npreshared_key={new string('0', 64)}\nprotocol_version=1\n")
                .Append($"endpoint={endpoint?.Invoke(i) ?? $"192.0.2.{i + 1}:51820"}\nlast_handshake_time_sec=0\nlast_handshake_time_nsec=0\n")
                .Append($"tx_bytes={tx?.Invoke(i) ?? 1184}\nrx_bytes=0\npersistent_keepalive_interval=20\n");
            foreach (var a in allowed?.Invoke(i) ?? [$"10.88.0.{i + 2}/32"])
            {
                reply.Append($"allowed_ip={a}\n");
            }
        }
        return reply.Append("errno=0\n\n").ToString();
    }

    private static WgDevice Parse(string reply, UapiPeerCache cache) => UapiParser.ParseDevice("ap0", Encoding.UTF8.GetBytes(reply), cache);

    [Fact]
    public void An_unchanged_read_of_100_peers_is_the_same_device_and_allocates_nothing_per_peer()
    {
        var bytes = Encoding.UTF8.GetBytes(Reply(100));
        var cache = new UapiPeerCache();
        var first = UapiParser.ParseDevice("ap0", bytes, cache);
        UapiParser.ParseDevice("ap0", bytes, cache);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = UapiParser.ParseDevice("ap0", bytes, cache);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(first, again);
        Assert.Equal(100, again.Peers.Count);
        // Was ~55 KB (a builder, endpoint, address and list per peer); now nothing but the parse's own stack.
        Assert.True(allocated <= 256, $"an unchanged read of 100 peers allocated {allocated} bytes");
    }

    [Fact]
    public void A_read_with_one_peer_changed_makes_only_that_peer_anew_and_keeps_its_unchanged_parts()
    {
        var cache = new UapiPeerCache();
        var first = Parse(Reply(100), cache);
        var bytes = Encoding.UTF8.GetBytes(Reply(100, tx: i => i == 7 ? 1332UL : 1184UL));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = UapiParser.ParseDevice("ap0", bytes, cache);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotSame(first, second);
        var changed = second.Peers.Single(p => p.PublicKey == Keys[7]);
        Assert.Equal(1332UL, changed.TxBytes);
        var old = first.Peers.Single(p => p.PublicKey == Keys[7]);
        Assert.NotSame(old, changed);
        Assert.Same(old.Endpoint, changed.Endpoint);
        Assert.Same(old.AllowedIPs, changed.AllowedIPs);
        Assert.Equal(99, second.Peers.Count(p => first.Peers.Any(f => ReferenceEquals(f, p))));
        // The device, its peer array and one peer.
        Assert.True(allocated <= 2048, $"a read with one peer changed allocated {allocated} bytes");
    }

    public static TheoryData<string, string> Changes => new()
    {
        { "endpoint roamed", Reply(3, endpoint: i => i == 1 ? "[2001:db8::5]:4000" : $"192.0.2.{i + 1}:51820") },
        { "allowed IP added", Reply(3, allowed: i => i == 1 ? ["10.88.0.3/32", "10.99.0.0/16"] : [$"10.88.0.{i + 2}/32"]) },
        { "allowed IP gone", Reply(3, allowed: i => i == 1 ? [] : [$"10.88.0.{i + 2}/32"]) },
        { "peer gone", Reply(2) },
        { "peer added", Reply(4) },
        { "key repeated", Reply(3).Replace(Keys[2].ToHex(), Keys[1].ToHex(), StringComparison.Ordinal) },
        { "listen port moved", Reply(3).Replace("listen_port=51820", "listen_port=40000", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void A_read_after_a_change_is_what_a_fresh_parse_says(string name, string changed)
    {
        _ = name;
        var cache = new UapiPeerCache();
        var first = Parse(Reply(3), cache);
        var second = Parse(changed, cache);
        var fresh = UapiParser.ParseDevice("ap0", changed);
        Assert.NotSame(first, second);
        Assert.Equal(Describe(fresh), Describe(second));
        // And back: the cache now holds the changed read.
        Assert.Equal(Describe(first), Describe(Parse(Reply(3), cache)));
    }

    private static string Describe(WgDevice d) =>
        $"{d.Name} {d.PublicKey} {d.ListenPort} {d.FwMark} | " + string.Join(" | ", d.Peers.Select(p =>
            $"{p.PublicKey} {p.PresharedKey} {p.Endpoint} {p.PersistentKeepalive} {p.LastHandshake} {p.RxBytes} {p.TxBytes} {string.Join(",", p.AllowedIPs)}"));

    [Fact]
    public async Task The_backend_reads_into_its_kept_buffer_and_gives_back_the_same_device_when_nothing_changed()
    {
        var reply = Reply(100);
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => reply));
        var first = await backend.GetDeviceAsync("ap0");
        Assert.Same(first, await backend.GetDeviceAsync("ap0"));
        reply = Reply(100, tx: i => i == 0 ? 2000UL : 1184UL);
        var second = await backend.GetDeviceAsync("ap0");
        Assert.NotSame(first, second);
        Assert.Equal(2000UL, second.Peers.Single(p => p.PublicKey == Keys[0]).TxBytes);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task The_socket_transport_reads_a_reply_of_many_receives_into_the_callers_buffer()
    {
        // 100 peers: ~35 KB, more than one 16 KiB receive; sent in 1 KiB pieces.
        var reply = Encoding.UTF8.GetBytes(Reply(100));
        using var dir = new TempDirectory();
        var transport = new UapiSocketTransport(dir.Path, TimeSpan.FromSeconds(10));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(transport.SocketPath("ap0")));
        listener.Listen(1);
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            var request = new byte[64];
            var n = await peer.ReceiveAsync(request, SocketFlags.None);
            Assert.Equal("get=1\n\n", Encoding.UTF8.GetString(request, 0, n));
            for (var i = 0; i < reply.Length; i += 1024)
            {
                await peer.SendAsync(reply.AsMemory(i, Math.Min(1024, reply.Length - i)), SocketFlags.None);
            }
        });
        var buffer = new ArrayBufferWriter<byte>(16);
        await transport.ExchangeIntoAsync("ap0", "get=1\n\n"u8.ToArray(), buffer);
        await server;
        Assert.Equal(reply, buffer.WrittenSpan.ToArray());
        Assert.Equal(100, UapiParser.ParseDevice("ap0", buffer.WrittenSpan).Peers.Count);
    }
}
