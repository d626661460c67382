using System.Net;
using System.Net.Sockets;
using Appliance.Netlink;
using static Appliance.WireGuard.Genl.WgGenlConstants;

namespace Appliance.WireGuard.Genl;

/// <summary>
/// Pure encoder for WG_CMD_GET_DEVICE / WG_CMD_SET_DEVICE. A plan that does not fit one message is split
/// the way the kernel expects: device fields and WGDEVICE_F_REPLACE_PEERS only in the first message, later
/// messages add more peers, and a peer whose allowed IPs overflow continues in the next message under the
/// same public key without WGPEER_F_REPLACE_ALLOWEDIPS (so the kernel appends).
/// </summary>
public static class WgGenlEncoder
{
    private const int NestHeader = 4;
    private const int KeyAttr = 4 + WG_KEY_LEN;
    private const int U32Attr = 8;
    private const int U16Attr = 8;
    private const int U8Attr = 8;

    /// <summary><c>wg show IFACE dump</c> — the WG_CMD_GET_DEVICE dump request.</summary>
    public static int GetDevice(Span<byte> dst, ushort familyId, string interfaceName)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(familyId, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump);
        w.WriteGenericHeader(WG_CMD_GET_DEVICE, WG_GENL_VERSION);
        w.WriteString(WGDEVICE_A_IFNAME, interfaceName);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary>Writes the next WG_CMD_SET_DEVICE message of <paramref name="plan"/> into <paramref name="dst"/> (whose length is the size limit) and advances <paramref name="cursor"/>.</summary>
    public static int SetDevice(Span<byte> dst, ushort familyId, string interfaceName, WgDevicePlan plan, ref WgGenlCursor cursor)
    {
        if (cursor.Done)
        {
            throw new InvalidOperationException("plan already fully encoded");
        }
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(familyId, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
        w.WriteGenericHeader(WG_CMD_SET_DEVICE, WG_GENL_VERSION);
        w.WriteString(WGDEVICE_A_IFNAME, interfaceName);
        if (cursor.MessageCount == 0)
        {
            if (plan.PrivateKey is { } pk)
            {
                pk.CopyTo(w.ReserveAttribute(WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN));
            }
            if (plan.ListenPort is { } port)
            {
                w.WriteU16(WGDEVICE_A_LISTEN_PORT, (ushort)port);
            }
            if (plan.FwMark is { } mark)
            {
                w.WriteU32(WGDEVICE_A_FWMARK, mark);
            }
            if (plan.ReplacePeers)
            {
                w.WriteU32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
            }
        }

        var peers = plan.Peers;
        if (cursor.PeerIndex < peers.Count)
        {
            int list = w.BeginNested(WGDEVICE_A_PEERS);
            bool wroteAny = false;
            while (cursor.PeerIndex < peers.Count)
            {
                var p = peers[cursor.PeerIndex];
                bool continuation = cursor.AllowedIPIndex > 0;
                int header = PeerHeaderSize(p, continuation);
                int firstIp = cursor.AllowedIPIndex < p.AllowedIPs.Count ? AllowedIPSize(p.AllowedIPs[cursor.AllowedIPIndex]) : 0;
                if (header + firstIp > w.Remaining)
                {
                    if (!wroteAny)
                    {
                        throw new ArgumentException($"a {dst.Length}-byte message cannot hold even one peer entry", nameof(dst));
                    }
                    break;
                }
                wroteAny = true;
                int peer = w.BeginNested(0);
                p.PublicKey.CopyTo(w.ReserveAttribute(WGPEER_A_PUBLIC_KEY, WG_KEY_LEN));
                w.WriteU32(WGPEER_A_FLAGS, PeerFlags(p, continuation));
                if (!continuation && !p.Remove)
                {
                    if (p.PresharedKey is { } psk)
                    {
                        psk.CopyTo(w.ReserveAttribute(WGPEER_A_PRESHARED_KEY, WG_KEY_LEN));
                    }
                    if (p.Endpoint is { } ep)
                    {
                        SockaddrCodec.Write(w.ReserveAttribute(WGPEER_A_ENDPOINT, SockaddrCodec.SizeOf(ep)), ep);
                    }
                    if (p.PersistentKeepalive is { } ka)
                    {
                        w.WriteU16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, (ushort)ka);
                    }
                }
                bool peerDone = true;
                if (cursor.AllowedIPIndex < p.AllowedIPs.Count)
                {
                    int ips = w.BeginNested(WGPEER_A_ALLOWEDIPS);
                    while (cursor.AllowedIPIndex < p.AllowedIPs.Count)
                    {
                        var ip = p.AllowedIPs[cursor.AllowedIPIndex];
                        if (AllowedIPSize(ip) > w.Remaining)
                        {
                            peerDone = false;
                            break;
                        }
                        WriteAllowedIP(ref w, ip);
                        cursor.AllowedIPIndex++;
                    }
                    w.EndNested(ips);
                }
                w.EndNested(peer);
                if (!peerDone)
                {
                    break;
                }
                cursor.PeerIndex++;
                cursor.AllowedIPIndex = 0;
            }
            w.EndNested(list);
        }
        w.EndMessage(m);
        cursor.MessageCount++;
        cursor.Done = cursor.PeerIndex >= peers.Count;
        return w.Length;
    }

    private static uint PeerFlags(WgPeerChange p, bool continuation)
    {
        if (p.Remove)
        {
            return WGPEER_F_REMOVE_ME;
        }
        uint flags = 0;
        if (p.UpdateOnly)
        {
            flags |= WGPEER_F_UPDATE_ONLY;
        }
        if (p.ReplaceAllowedIPs && !continuation)
        {
            flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
        }
        return flags;
    }

    private static int PeerHeaderSize(WgPeerChange p, bool continuation)
    {
        int size = NestHeader + KeyAttr + U32Attr + NestHeader; // peer nest, key, flags, allowed-ips nest
        if (!continuation && !p.Remove)
        {
            if (p.PresharedKey is not null)
            {
                size += KeyAttr;
            }
            if (p.Endpoint is { } ep)
            {
                size += 4 + SockaddrCodec.SizeOf(ep);
            }
            if (p.PersistentKeepalive is not null)
            {
                size += U16Attr;
            }
        }
        return size;
    }

    private static int AllowedIPSize(IPNetwork ip) =>
        NestHeader + U16Attr + 4 + (ip.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 4 : 16) + U8Attr;

    private static void WriteAllowedIP(ref NetlinkWriter w, IPNetwork ip)
    {
        int e = w.BeginNested(0);
        w.WriteU16(WGALLOWEDIP_A_FAMILY, (ushort)(ip.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 2 : 10));
        w.WriteAddress(WGALLOWEDIP_A_IPADDR, ip.BaseAddress);
        w.WriteU8(WGALLOWEDIP_A_CIDR_MASK, (byte)ip.PrefixLength);
        w.EndNested(e);
    }
}
