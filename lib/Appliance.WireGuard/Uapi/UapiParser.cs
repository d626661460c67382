using System.Globalization;
using System.Net;
using Appliance.Contracts;
using Appliance.Netlink;

namespace Appliance.WireGuard.Uapi;

/// <summary>Pure decoder of UAPI replies: the <c>get=1</c> key=value listing and the trailing <c>errno=N</c>.</summary>
public static class UapiParser
{
    /// <summary>The errno a reply ends with; throws when the reply has none.</summary>
    public static Errno ParseErrno(string reply)
    {
        int i = reply.LastIndexOf("errno=", StringComparison.Ordinal);
        if (i < 0 || (i > 0 && reply[i - 1] != '\n'))
        {
            throw new WireGuardProtocolException("UAPI reply without errno line: " + Snippet(reply));
        }
        var rest = reply.AsSpan(i + 6);
        int end = rest.IndexOf('\n');
        if (end < 0 || !int.TryParse(rest[..end], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int errno))
        {
            throw new WireGuardProtocolException("UAPI reply with a malformed errno line: " + Snippet(reply[i..]));
        }
        // wireguard-go writes errno=-22 for some failures and errno=22 for others; the sign carries no meaning.
        return (Errno)Math.Abs(errno);
    }

    /// <summary>Parses a <c>get=1</c> reply (whose errno must be 0) into a device.</summary>
    public static WgDevice ParseDevice(string interfaceName, string reply)
    {
        var device = new WgDevice(interfaceName);
        var peers = new List<WgPeer>();
        WgPeer? peer = null;
        List<IPNetwork>? allowed = null;
        long hsSec = 0, hsNsec = 0;
        int lineNo = 0;
        bool sawErrno = false;

        void FlushPeer()
        {
            if (peer is not null)
            {
                peers.Add(peer with
                {
                    AllowedIPs = allowed!,
                    LastHandshake = hsSec == 0 && hsNsec == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(hsSec).AddTicks(hsNsec / 100),
                });
            }
            hsSec = hsNsec = 0;
        }

        foreach (var raw in reply.Split('\n'))
        {
            lineNo++;
            if (raw.Length == 0)
            {
                continue;
            }
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Malformed(lineNo, raw, "expected key=value");
            }
            string key = raw[..eq];
            string value = raw[(eq + 1)..];
            try
            {
                switch (key)
                {
                    case "private_key": device = device with { PrivateKey = HexKey(value) }; break;
                    case "listen_port": device = device with { ListenPort = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) }; break;
                    case "fwmark": device = device with { FwMark = uint.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) }; break;
                    case "public_key":
                        FlushPeer();
                        peer = new WgPeer(HexKey(value));
                        allowed = [];
                        break;
                    case "errno":
                        sawErrno = true;
                        var errno = (Errno)Math.Abs(int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
                        if (errno != Errno.None)
                        {
                            throw new WireGuardOperationException(interfaceName, "UAPI get", errno);
                        }
                        break;
                    case "protocol_version": break;
                    default:
                        if (peer is null)
                        {
                            throw Malformed(lineNo, raw, "peer field before any public_key");
                        }
                        peer = key switch
                        {
                            "preshared_key" => peer with { PresharedKey = HexKey(value) },
                            "endpoint" => peer with { Endpoint = IPEndPoint.Parse(value) },
                            "persistent_keepalive_interval" => peer with { PersistentKeepalive = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) },
                            "rx_bytes" => peer with { RxBytes = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) },
                            "tx_bytes" => peer with { TxBytes = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) },
                            "last_handshake_time_sec" => SetHs(peer, ref hsSec, value),
                            "last_handshake_time_nsec" => SetHs(peer, ref hsNsec, value),
                            "allowed_ip" => AddAllowed(peer, allowed!, value),
                            _ => peer, // keys from newer implementations are ignored
                        };
                        break;
                }
            }
            catch (FormatException e)
            {
                throw Malformed(lineNo, raw, e.Message);
            }
            catch (OverflowException e)
            {
                throw Malformed(lineNo, raw, e.Message);
            }
        }
        if (!sawErrno)
        {
            throw new WireGuardProtocolException($"UAPI get reply for '{interfaceName}' ended without errno line (truncated?)");
        }
        FlushPeer();
        if (!device.PrivateKey.IsZero)
        {
            device = device with { PublicKey = Crypto.X25519.PublicKeyOf(device.PrivateKey) };
        }
        return device with { Peers = peers };
    }

    private static WgPeer SetHs(WgPeer peer, ref long field, string value)
    {
        field = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
        return peer;
    }

    private static WgPeer AddAllowed(WgPeer peer, List<IPNetwork> list, string value)
    {
        list.Add(IPNetwork.Parse(value));
        return peer;
    }

    private static WgKey HexKey(string hex) =>
        WgKey.TryParseHex(hex, out var k) ? k : throw new FormatException("not a 64-digit hex key");

    private static WireGuardProtocolException Malformed(int line, string text, string why) =>
        new($"malformed UAPI reply, line {line} '{Snippet(text)}': {why}");

    private static string Snippet(string s) => s.Length <= 80 ? s.Replace("\n", "\\n", StringComparison.Ordinal) : s[..80] + "...";
}
