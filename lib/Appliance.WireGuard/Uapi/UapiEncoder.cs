using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Contracts;

namespace Appliance.WireGuard.Uapi;

/// <summary>
/// Pure encoder for the UAPI text protocol (wireguard.com/xplatform): <c>get=1</c> and <c>set=1</c> with
/// replace_peers, remove, update_only, replace_allowed_ips, allowed_ip lines. Writes UTF-8 into a span.
/// </summary>
public static class UapiEncoder
{
    /// <summary>The <c>get=1</c> request.</summary>
    public static ReadOnlySpan<byte> GetRequest => "get=1\n\n"u8;

    /// <summary>An upper bound of the bytes <see cref="SetDevice"/> writes for <paramref name="plan"/>.</summary>
    public static int MaxSetDeviceSize(WgDevicePlan plan)
    {
        int size = 6 + 12 + 76 + 20 + 20 + 20 + 2;
        foreach (var p in plan.Peers)
        {
            // public_key + psk + endpoint + keepalive + flags, then one line per allowed IP.
            size += 76 + 80 + 80 + 40 + 64 + (p.AllowedIPs.Count * 56);
        }
        return size;
    }

    /// <summary>Writes the <c>set=1</c> request for <paramref name="plan"/>; returns the byte count.</summary>
    public static int SetDevice(Span<byte> dst, WgDevicePlan plan)
    {
        int n = 0;
        Put(dst, ref n, "set=1\n"u8);
        if (plan.PrivateKey is { } pk)
        {
            PutKey(dst, ref n, "private_key="u8, pk);
        }
        if (plan.ListenPort is { } port)
        {
            PutNumber(dst, ref n, "listen_port="u8, (ulong)port);
        }
        if (plan.FwMark is { } mark)
        {
            PutNumber(dst, ref n, "fwmark="u8, mark);
        }
        if (plan.ReplacePeers)
        {
            Put(dst, ref n, "replace_peers=true\n"u8);
        }
        // Indexed loops: foreach over IReadOnlyList would allocate an enumerator per peer.
        var peers = plan.Peers;
        for (int i = 0; i < peers.Count; i++)
        {
            var p = peers[i];
            PutKey(dst, ref n, "public_key="u8, p.PublicKey);
            if (p.Remove)
            {
                Put(dst, ref n, "remove=true\n"u8);
                continue;
            }
            if (p.UpdateOnly)
            {
                Put(dst, ref n, "update_only=true\n"u8);
            }
            if (p.PresharedKey is { } psk)
            {
                PutKey(dst, ref n, "preshared_key="u8, psk);
            }
            if (p.Endpoint is { } ep)
            {
                Put(dst, ref n, "endpoint="u8);
                PutEndpoint(dst, ref n, ep);
                Put(dst, ref n, "\n"u8);
            }
            if (p.PersistentKeepalive is { } ka)
            {
                PutNumber(dst, ref n, "persistent_keepalive_interval="u8, (ulong)ka);
            }
            if (p.ReplaceAllowedIPs)
            {
                Put(dst, ref n, "replace_allowed_ips=true\n"u8);
            }
            var ips = p.AllowedIPs;
            for (int j = 0; j < ips.Count; j++)
            {
                var ip = ips[j];
                Put(dst, ref n, "allowed_ip="u8);
                if (!ip.TryFormat(dst[n..], out int w))
                {
                    throw new ArgumentException("UAPI buffer too small", nameof(dst));
                }
                n += w;
                Put(dst, ref n, "\n"u8);
            }
        }
        Put(dst, ref n, "\n"u8);
        return n;
    }

    /// <summary>Convenience for tests and logs: the request as text.</summary>
    public static string SetDeviceText(WgDevicePlan plan)
    {
        var buffer = new byte[MaxSetDeviceSize(plan)];
        return Encoding.UTF8.GetString(buffer, 0, SetDevice(buffer, plan));
    }

    private static void Put(Span<byte> dst, ref int n, ReadOnlySpan<byte> s)
    {
        if (!s.TryCopyTo(dst[n..]))
        {
            throw new ArgumentException("UAPI buffer too small", nameof(dst));
        }
        n += s.Length;
    }

    private static void PutKey(Span<byte> dst, ref int n, ReadOnlySpan<byte> name, WgKey key)
    {
        Put(dst, ref n, name);
        Span<byte> raw = stackalloc byte[WgKey.Size];
        key.CopyTo(raw);
        if (!Convert.TryToHexStringLower(raw, dst[n..], out int w))
        {
            throw new ArgumentException("UAPI buffer too small", nameof(dst));
        }
        n += w;
        Put(dst, ref n, "\n"u8);
    }

    private static void PutNumber(Span<byte> dst, ref int n, ReadOnlySpan<byte> name, ulong value)
    {
        Put(dst, ref n, name);
        if (!value.TryFormat(dst[n..], out int w, default, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("UAPI buffer too small", nameof(dst));
        }
        n += w;
        Put(dst, ref n, "\n"u8);
    }

    private static void PutEndpoint(Span<byte> dst, ref int n, IPEndPoint ep)
    {
        bool v6 = ep.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6)
        {
            Put(dst, ref n, "["u8);
        }
        if (!((IUtf8SpanFormattable)ep.Address).TryFormat(dst[n..], out int w, default, null))
        {
            throw new ArgumentException("UAPI buffer too small", nameof(dst));
        }
        n += w;
        Put(dst, ref n, v6 ? "]:"u8 : ":"u8);
        if (!((uint)ep.Port).TryFormat(dst[n..], out w, default, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new ArgumentException("UAPI buffer too small", nameof(dst));
        }
        n += w;
    }
}
