using System.Net;
using Appliance.Contracts;
using Appliance.Netlink;
using static Appliance.WireGuard.Genl.WgGenlConstants;

namespace Appliance.WireGuard.Genl;

/// <summary>
/// Pure decoder for WG_CMD_GET_DEVICE replies. The kernel spreads a large device over several dump messages and
/// may continue one peer's allowed IPs in the next message under the same key; <see cref="Add"/> merges them.
/// </summary>
public sealed class WgGenlParser
{
    private readonly List<PeerBuilder> _peers = [];
    private string _name = "";
    private int _index;
    private WgKey _privateKey;
    private WgKey _publicKey;
    private int _listenPort;
    private uint _fwMark;

    /// <summary>Adds one dump message (its payload starts with the genl header).</summary>
    public void Add(in NetlinkMessage message)
    {
        try
        {
            var attrs = message.Attributes(4);
            while (attrs.TryRead(out var a))
            {
                switch (a.Type)
                {
                    case WGDEVICE_A_IFINDEX: _index = (int)a.GetU32(); break;
                    case WGDEVICE_A_IFNAME: _name = a.GetString(); break;
                    case WGDEVICE_A_PRIVATE_KEY: _privateKey = Key(a); break;
                    case WGDEVICE_A_PUBLIC_KEY: _publicKey = Key(a); break;
                    case WGDEVICE_A_LISTEN_PORT: _listenPort = a.GetU16(); break;
                    case WGDEVICE_A_FWMARK: _fwMark = a.GetU32(); break;
                    case WGDEVICE_A_PEERS:
                        var peers = a.GetNested();
                        while (peers.TryRead(out var p))
                        {
                            AddPeer(p.GetNested());
                        }
                        break;
                    default: break; // attributes from newer kernels are skipped
                }
            }
        }
        catch (NetlinkProtocolException e)
        {
            throw new WireGuardProtocolException("malformed WG_CMD_GET_DEVICE reply: " + e.Message, e);
        }
    }

    public WgDevice Build() => new(_name)
    {
        InterfaceIndex = _index,
        PrivateKey = _privateKey,
        PublicKey = _publicKey,
        ListenPort = _listenPort,
        FwMark = _fwMark,
        Peers = _peers.ConvertAll(b => b.Build()),
    };

    private void AddPeer(NetlinkAttributeReader attrs)
    {
        PeerBuilder? b = null;
        var pending = new PeerBuilder();
        while (attrs.TryRead(out var a))
        {
            switch (a.Type)
            {
                case WGPEER_A_PUBLIC_KEY:
                    var key = Key(a);
                    // Same key as the previous peer: the kernel continued its allowed IPs in this message.
                    b = _peers.Count > 0 && _peers[^1].PublicKey == key ? _peers[^1] : null;
                    if (b is null)
                    {
                        pending.PublicKey = key;
                        _peers.Add(pending);
                        b = pending;
                    }
                    break;
                case WGPEER_A_PRESHARED_KEY: pending.PresharedKey = Key(a); break;
                case WGPEER_A_ENDPOINT: pending.Endpoint = SockaddrCodec.Read(a.Value); break;
                case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: pending.Keepalive = a.GetU16(); break;
                case WGPEER_A_LAST_HANDSHAKE_TIME:
                    long sec = a.GetS64();
                    long nsec = a.Value.Length >= 16 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(a.Value[8..]) : 0;
                    pending.LastHandshake = sec == 0 && nsec == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nsec / 100);
                    break;
                case WGPEER_A_RX_BYTES: pending.Rx = a.GetU64(); break;
                case WGPEER_A_TX_BYTES: pending.Tx = a.GetU64(); break;
                case WGPEER_A_ALLOWEDIPS:
                    var target = b ?? pending;
                    var ips = a.GetNested();
                    while (ips.TryRead(out var ip))
                    {
                        target.AllowedIPs.Add(AllowedIP(ip.GetNested()));
                    }
                    break;
                default: break;
            }
        }
        if (b is null)
        {
            throw new WireGuardProtocolException("peer entry without WGPEER_A_PUBLIC_KEY");
        }
    }

    private static IPNetwork AllowedIP(NetlinkAttributeReader attrs)
    {
        IPAddress? address = null;
        int cidr = -1;
        while (attrs.TryRead(out var a))
        {
            if (a.Type == WGALLOWEDIP_A_IPADDR)
            {
                address = a.GetAddress();
            }
            else if (a.Type == WGALLOWEDIP_A_CIDR_MASK)
            {
                cidr = a.GetU8();
            }
        }
        if (address is null || cidr < 0)
        {
            throw new WireGuardProtocolException("allowed IP entry without address or mask");
        }
        return new IPNetwork(address, cidr);
    }

    private static WgKey Key(in NetlinkAttribute a) =>
        a.Value.Length == WG_KEY_LEN ? new WgKey(a.Value) : throw new WireGuardProtocolException($"key attribute {a.Type} has {a.Value.Length} bytes, expected {WG_KEY_LEN}");

    private sealed class PeerBuilder
    {
        public WgKey PublicKey { get; set; }

        public WgKey PresharedKey { get; set; }

        public IPEndPoint? Endpoint { get; set; }

        public int Keepalive { get; set; }

        public DateTimeOffset? LastHandshake { get; set; }

        public ulong Rx { get; set; }

        public ulong Tx { get; set; }

        public List<IPNetwork> AllowedIPs { get; } = [];

        public WgPeer Build() => new(PublicKey)
        {
            PresharedKey = PresharedKey,
            Endpoint = Endpoint,
            PersistentKeepalive = Keepalive,
            LastHandshake = LastHandshake,
            RxBytes = Rx,
            TxBytes = Tx,
            AllowedIPs = AllowedIPs,
        };
    }
}
