using System.Buffers.Binary;
using System.Net;
using Appliance.Contracts;
using Appliance.Netlink;
using Appliance.TestSupport;
using Appliance.WireGuard.Genl;

namespace Appliance.WireGuard.Tests;

/// <summary>Large plans are split into messages the kernel accepts, and the split loses nothing.</summary>
public sealed class WgGenlChunkingTests
{
    internal static WgKey Key(int i)
    {
        var b = new byte[32];
        BinaryPrimitives.WriteInt32LittleEndian(b, i + 1);
        b[31] = 0x40;
        return new WgKey(b);
    }

    internal static WgDevicePlan BigPlan(int peers, int ipsPerPeer = 1) => new()
    {
        PrivateKey = Key(-2),
        ListenPort = 51820,
        ReplacePeers = true,
        Peers = [.. Enumerable.Range(0, peers).Select(i => new WgPeerChange(Key(i))
        {
            Endpoint = new IPEndPoint(new IPAddress(BitConverter.GetBytes(0x0a000000u + (uint)i).Reverse().ToArray()), 51820),
            PersistentKeepalive = 25,
            ReplaceAllowedIPs = true,
            AllowedIPs = [.. Enumerable.Range(0, ipsPerPeer).Select(j => new IPNetwork(new IPAddress(BitConverter.GetBytes(0x64000000u + (uint)(i * ipsPerPeer) + (uint)j).Reverse().ToArray()), 32))],
        })],
    };

    private static List<byte[]> Encode(WgDevicePlan plan, int max)
    {
        var messages = new List<byte[]>();
        var buffer = new byte[max];
        var cursor = default(WgGenlCursor);
        while (!cursor.Done)
        {
            int n = WgGenlEncoder.SetDevice(buffer, 0x15, "wg0", plan, ref cursor);
            messages.Add(buffer[..n]);
        }
        return messages;
    }

    private static (uint DeviceFlags, List<uint> PeerFlags) Flags(byte[] message)
    {
        var r = new NetlinkMessageReader(message);
        Assert.True(r.TryRead(out var m));
        uint deviceFlags = 0;
        var peerFlags = new List<uint>();
        var attrs = m.Attributes(4);
        while (attrs.TryRead(out var a))
        {
            if (a.Type == WgGenlConstants.WGDEVICE_A_FLAGS)
            {
                deviceFlags = a.GetU32();
            }
            if (a.Type == WgGenlConstants.WGDEVICE_A_PEERS)
            {
                var peers = a.GetNested();
                while (peers.TryRead(out var p))
                {
                    var pa = p.GetNested();
                    while (pa.TryRead(out var f))
                    {
                        if (f.Type == WgGenlConstants.WGPEER_A_FLAGS)
                        {
                            peerFlags.Add(f.GetU32());
                        }
                    }
                }
            }
        }
        return (deviceFlags, peerFlags);
    }

    private static WgDevice Decode(List<byte[]> messages)
    {
        // SET and GET share attribute numbering, so the GET parser (which merges split peers) reads them back.
        var parser = new WgGenlParser();
        foreach (var msg in messages)
        {
            var r = new NetlinkMessageReader(msg);
            Assert.True(r.TryRead(out var m));
            parser.Add(m);
        }
        return parser.Build();
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Ten_thousand_peers_split_into_bounded_messages_with_replace_peers_only_in_the_first()
    {
        var plan = BigPlan(10_000);
        var messages = Encode(plan, WgGenlConstants.DefaultMaxMessageSize);
        Assert.True(messages.Count > 50);
        Assert.All(messages, m => Assert.True(m.Length <= WgGenlConstants.DefaultMaxMessageSize));
        Assert.Equal(WgGenlConstants.WGDEVICE_F_REPLACE_PEERS, Flags(messages[0]).DeviceFlags);
        Assert.All(messages.Skip(1), m => Assert.Equal(0u, Flags(m).DeviceFlags));

        var device = Decode(messages);
        Assert.Equal(10_000, device.Peers.Count);
        for (int i = 0; i < plan.Peers.Count; i++)
        {
            Assert.Equal(plan.Peers[i].PublicKey, device.Peers[i].PublicKey);
            Assert.Equal(plan.Peers[i].AllowedIPs, device.Peers[i].AllowedIPs);
            Assert.Equal(plan.Peers[i].Endpoint, device.Peers[i].Endpoint);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_peer_with_more_allowed_IPs_than_fit_continues_without_REPLACE_ALLOWEDIPS()
    {
        var plan = BigPlan(3, ipsPerPeer: 1000);
        var messages = Encode(plan, 4096);
        Assert.True(messages.Count >= 3 * 1000 * 28 / 4096);
        var peerFlags = messages.SelectMany(m => Flags(m).PeerFlags).ToList();
        // Each peer's first entry replaces; its continuations (same key, following messages) only append.
        Assert.Equal(3, peerFlags.Count(f => f == WgGenlConstants.WGPEER_F_REPLACE_ALLOWEDIPS));
        Assert.True(peerFlags.Count(f => f == 0) >= messages.Count - 3);
        var device = Decode(messages);
        Assert.Equal(3, device.Peers.Count);
        Assert.All(device.Peers, p => Assert.Equal(1000, p.AllowedIPs.Count));
        Assert.Equal(plan.Peers[2].AllowedIPs, device.Peers[2].AllowedIPs);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Replace_peers_with_no_peers_is_one_message_that_clears_the_device()
    {
        var messages = Encode(new WgDevicePlan { ReplacePeers = true }, 1024);
        Assert.Single(messages);
        Assert.Equal(WgGenlConstants.WGDEVICE_F_REPLACE_PEERS, Flags(messages[0]).DeviceFlags);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_buffer_too_small_for_one_peer_is_an_error_not_a_loop()
    {
        var buffer = new byte[100];
        Assert.Throws<ArgumentException>(() =>
        {
            var cursor = default(WgGenlCursor);
            WgGenlEncoder.SetDevice(buffer, 0x15, "wg0", BigPlan(1), ref cursor);
        });
    }
}
