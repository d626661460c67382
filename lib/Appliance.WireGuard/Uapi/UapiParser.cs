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

    /// <summary>Parses a <c>get=1</c> reply (whose errno must be 0) into a device. Walks the text as spans, one line at a time.</summary>
    public static WgDevice ParseDevice(string interfaceName, string reply)
    {
        var device = new DeviceBuilder();
        PeerBuilder? peer = null;
        int lineNo = 0;
        bool sawErrno = false;
        var rest = reply.AsSpan();
        while (!rest.IsEmpty)
        {
            int nl = rest.IndexOf('\n');
            var line = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? default : rest[(nl + 1)..];
            lineNo++;
            if (line.IsEmpty)
            {
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw Malformed(lineNo, line, "expected key=value");
            }
            var key = line[..eq];
            var value = line[(eq + 1)..];
            try
            {
                if (key.SequenceEqual("public_key"))
                {
                    peer = new PeerBuilder(HexKey(value));
                    device.Peers.Add(peer);
                }
                else if (key.SequenceEqual("allowed_ip"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).AllowedIPs.Add(IPNetwork.Parse(value));
                }
                else if (key.SequenceEqual("endpoint"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).Endpoint = IPEndPoint.Parse(value);
                }
                else if (key.SequenceEqual("last_handshake_time_sec"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).HandshakeSec = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("last_handshake_time_nsec"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).HandshakeNsec = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("rx_bytes"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).Rx = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("tx_bytes"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).Tx = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("persistent_keepalive_interval"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).Keepalive = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("preshared_key"))
                {
                    (peer ?? throw Malformed(lineNo, line, "peer field before any public_key")).PresharedKey = HexKey(value);
                }
                else if (key.SequenceEqual("private_key"))
                {
                    device.PrivateKey = HexKey(value);
                }
                else if (key.SequenceEqual("listen_port"))
                {
                    device.ListenPort = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("fwmark"))
                {
                    device.FwMark = uint.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("errno"))
                {
                    sawErrno = true;
                    var errno = (Errno)Math.Abs(int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
                    if (errno != Errno.None)
                    {
                        throw new WireGuardOperationException(interfaceName, "UAPI get", errno);
                    }
                }
                // protocol_version and keys from newer implementations are ignored.
            }
            catch (FormatException e)
            {
                throw Malformed(lineNo, line, e.Message);
            }
            catch (OverflowException e)
            {
                throw Malformed(lineNo, line, e.Message);
            }
        }
        if (!sawErrno)
        {
            throw new WireGuardProtocolException($"UAPI get reply for '{interfaceName}' ended without errno line (truncated?)");
        }
        return device.Build(interfaceName);
    }

    private static WgKey HexKey(ReadOnlySpan<char> hex) =>
        WgKey.TryParseHex(hex, out var k) ? k : throw new FormatException("not a 64-digit hex key");

    private static WireGuardProtocolException Malformed(int line, ReadOnlySpan<char> text, string why) =>
        new($"malformed UAPI reply, line {line} '{Snippet(text.ToString())}': {why}");

    private static string Snippet(string s) => s.Length <= 80 ? s.Replace("\n", "\\n", StringComparison.Ordinal) : s[..80] + "...";

    private sealed class DeviceBuilder
    {
        public WgKey PrivateKey { get; set; }

        public int ListenPort { get; set; }

        public uint FwMark { get; set; }

        public List<PeerBuilder> Peers { get; } = [];

        public WgDevice Build(string name) => new(name)
        {
            PrivateKey = PrivateKey,
            // UAPI does not report the public key; derive it as wg does.
            PublicKey = PrivateKey.IsZero ? default : Crypto.X25519.PublicKeyOf(PrivateKey),
            ListenPort = ListenPort,
            FwMark = FwMark,
            Peers = Peers.ConvertAll(p => p.Build()),
        };
    }

    private sealed class PeerBuilder(WgKey publicKey)
    {
        public WgKey PresharedKey { get; set; }

        public IPEndPoint? Endpoint { get; set; }

        public int Keepalive { get; set; }

        public long HandshakeSec { get; set; }

        public long HandshakeNsec { get; set; }

        public ulong Rx { get; set; }

        public ulong Tx { get; set; }

        public List<IPNetwork> AllowedIPs { get; } = [];

        public WgPeer Build() => new(publicKey)
        {
            PresharedKey = PresharedKey,
            Endpoint = Endpoint,
            PersistentKeepalive = Keepalive,
            LastHandshake = HandshakeSec == 0 && HandshakeNsec == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(HandshakeSec).AddTicks(HandshakeNsec / 100),
            RxBytes = Rx,
            TxBytes = Tx,
            AllowedIPs = AllowedIPs,
        };
    }
}
