using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
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
    public static WgDevice ParseDevice(string interfaceName, string reply) => ParseDevice(interfaceName, Encoding.UTF8.GetBytes(reply));

    /// <summary>
    /// Parses a <c>get=1</c> reply (whose errno must be 0) into a device, walking its bytes one line at a time. With a
    /// <paramref name="cache"/> of the last read, a peer whose values did not change comes back as the same object,
    /// and so does the whole device when nothing changed: an unchanged read allocates nothing per peer.
    /// </summary>
    public static WgDevice ParseDevice(string interfaceName, ReadOnlySpan<byte> reply, UapiPeerCache? cache = null)
    {
        var read = cache?.NextRead() ?? 0;
        var peers = cache?.Scratch ?? [];
        var allReused = true;
        WgKey privateKey = default;
        int listenPort = 0;
        uint fwMark = 0;
        var peer = new PeerLines();
        var inPeer = false;
        int lineNo = 0;
        bool sawErrno = false;
        var rest = reply;
        Span<char> text = stackalloc char[MaxValueChars];
        while (!rest.IsEmpty)
        {
            int nl = rest.IndexOf((byte)'\n');
            var line = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? default : rest[(nl + 1)..];
            lineNo++;
            if (line.IsEmpty)
            {
                continue;
            }
            int eq = line.IndexOf((byte)'=');
            if (eq <= 0)
            {
                throw Malformed(lineNo, line, "expected key=value");
            }
            var key = line[..eq];
            var value = line[(eq + 1)..];
            try
            {
                if (key.SequenceEqual("public_key"u8))
                {
                    if (inPeer)
                    {
                        allReused &= Finish(ref peer, peers);
                    }
                    peer = new PeerLines { Key = HexKey(value) };
                    inPeer = true;
                    if (cache is not null)
                    {
                        // A key repeated within one reply is not taken from the cache twice.
                        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(cache.Peers, peer.Key);
                        if (!Unsafe.IsNullRef(ref slot) && slot.Read != read)
                        {
                            peer.Previous = slot.Peer;
                            slot.Read = read;
                        }
                    }
                }
                else if (key.SequenceEqual("allowed_ip"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.AddAllowedIp(Chars(value, text));
                }
                else if (key.SequenceEqual("endpoint"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    var chars = Chars(value, text);
                    peer.Endpoint = peer.Previous?.Endpoint is { } same && SameEndpoint(same, chars) ? same : IPEndPoint.Parse(chars);
                }
                else if (key.SequenceEqual("last_handshake_time_sec"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.HandshakeSec = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("last_handshake_time_nsec"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.HandshakeNsec = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("rx_bytes"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.Rx = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("tx_bytes"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.Tx = ulong.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("persistent_keepalive_interval"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.Keepalive = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("preshared_key"u8))
                {
                    RequirePeer(inPeer, lineNo, line);
                    peer.PresharedKey = HexKey(value);
                }
                else if (key.SequenceEqual("private_key"u8))
                {
                    privateKey = HexKey(value);
                }
                else if (key.SequenceEqual("listen_port"u8))
                {
                    listenPort = ushort.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("fwmark"u8))
                {
                    fwMark = uint.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (key.SequenceEqual("errno"u8))
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
        if (inPeer)
        {
            allReused &= Finish(ref peer, peers);
        }
        var last = cache?.Device;
        if (last is not null && allReused && peers.Count == last.Peers.Count && last.Name == interfaceName
            && last.PrivateKey == privateKey && last.ListenPort == listenPort && last.FwMark == fwMark)
        {
            // Every peer of the last read, each unchanged and none twice: the same device.
            return last;
        }
        var device = new WgDevice(interfaceName)
        {
            PrivateKey = privateKey,
            // UAPI does not report the public key; derive it as wg does (once per private key).
            PublicKey = privateKey.IsZero ? default : last is not null && last.PrivateKey == privateKey ? last.PublicKey : Crypto.X25519.PublicKeyOf(privateKey),
            ListenPort = listenPort,
            FwMark = fwMark,
            Peers = peers.ToArray(),
        };
        cache?.Remember(device);
        return device;
    }

    // The longest endpoint or allowed_ip value taken: "[IPv6%zone]:port" and "IPv6/128" fit with room to spare.
    private const int MaxValueChars = 128;

    private static void RequirePeer(bool inPeer, int lineNo, ReadOnlySpan<byte> line)
    {
        if (!inPeer)
        {
            throw Malformed(lineNo, line, "peer field before any public_key");
        }
    }

    /// <summary>Adds the peer of <paramref name="lines"/> to <paramref name="peers"/>; true when it is the cached peer, unchanged.</summary>
    private static bool Finish(ref PeerLines lines, List<WgPeer> peers)
    {
        var previous = lines.Previous;
        var allowed = lines.AllowedIPs();
        DateTimeOffset? handshake = lines.HandshakeSec == 0 && lines.HandshakeNsec == 0
            ? null
            : DateTimeOffset.FromUnixTimeSeconds(lines.HandshakeSec).AddTicks(lines.HandshakeNsec / 100);
        if (previous is not null && ReferenceEquals(allowed, previous.AllowedIPs) && ReferenceEquals(lines.Endpoint, previous.Endpoint)
            && previous.PresharedKey == lines.PresharedKey && previous.PersistentKeepalive == lines.Keepalive
            && previous.LastHandshake == handshake && previous.RxBytes == lines.Rx && previous.TxBytes == lines.Tx)
        {
            peers.Add(previous);
            return true;
        }
        peers.Add(new WgPeer(lines.Key)
        {
            PresharedKey = lines.PresharedKey,
            Endpoint = lines.Endpoint,
            PersistentKeepalive = lines.Keepalive,
            LastHandshake = handshake,
            RxBytes = lines.Rx,
            TxBytes = lines.Tx,
            AllowedIPs = allowed,
        });
        return false;
    }

    // Whether an endpoint reads as wireguard-go writes it ("192.0.2.1:51820", "[2001:db8::1]:51820"); a spelling
    // that differs only means a new object.
    private static bool SameEndpoint(IPEndPoint endpoint, ReadOnlySpan<char> text)
    {
        Span<char> own = stackalloc char[MaxValueChars];
        var six = endpoint.AddressFamily == AddressFamily.InterNetworkV6;
        var n = 0;
        if (six)
        {
            own[n++] = '[';
        }
        if (!endpoint.Address.TryFormat(own[n..], out var written))
        {
            return false;
        }
        n += written;
        if (six)
        {
            own[n++] = ']';
        }
        own[n++] = ':';
        return endpoint.Port.TryFormat(own[n..], out written, default, CultureInfo.InvariantCulture) && own[..(n + written)].SequenceEqual(text);
    }

    private static ReadOnlySpan<char> Chars(ReadOnlySpan<byte> value, Span<char> destination)
    {
        if (value.Length > destination.Length)
        {
            throw new FormatException($"longer than {destination.Length} characters");
        }
        if (Ascii.ToUtf16(value, destination, out var written) != OperationStatus.Done)
        {
            throw new FormatException("not ASCII");
        }
        return destination[..written];
    }

    private static WgKey HexKey(ReadOnlySpan<byte> hex)
    {
        Span<char> chars = stackalloc char[2 * WgKey.Size];
        return hex.Length == chars.Length && Ascii.ToUtf16(hex, chars, out _) == OperationStatus.Done && WgKey.TryParseHex(chars, out var k)
            ? k
            : throw new FormatException("not a 64-digit hex key");
    }

    private static WireGuardProtocolException Malformed(int line, ReadOnlySpan<byte> text, string why) =>
        new($"malformed UAPI reply, line {line} '{Snippet(Encoding.UTF8.GetString(text))}': {why}");

    private static string Snippet(string s) => s.Length <= 80 ? s.Replace("\n", "\\n", StringComparison.Ordinal) : s[..80] + "...";

    /// <summary>One peer's lines as read so far, and the cached peer of the same key they are compared with.</summary>
    private struct PeerLines
    {
        public WgKey Key;
        public WgPeer? Previous;
        public WgKey PresharedKey;
        public IPEndPoint? Endpoint;
        public int Keepalive;
        public long HandshakeSec;
        public long HandshakeNsec;
        public ulong Rx;
        public ulong Tx;

        // Null while every allowed_ip so far is the cached peer's, in its order (then only the count moves).
        private List<IPNetwork>? _allowed;
        private int _allowedCount;

        public void AddAllowedIp(ReadOnlySpan<char> text)
        {
            if (_allowed is null && Previous is { } p && _allowedCount < p.AllowedIPs.Count && SameNetwork(p.AllowedIPs[_allowedCount], text))
            {
                _allowedCount++;
                return;
            }
            if (_allowed is null)
            {
                _allowed = [];
                for (var i = 0; i < _allowedCount; i++)
                {
                    _allowed.Add(Previous!.AllowedIPs[i]);
                }
            }
            _allowed.Add(IPNetwork.Parse(text));
            _allowedCount++;
        }

        public readonly IReadOnlyList<IPNetwork> AllowedIPs()
        {
            if (_allowed is not null)
            {
                return _allowed;
            }
            if (Previous is { } p)
            {
                return _allowedCount == p.AllowedIPs.Count ? p.AllowedIPs : [.. p.AllowedIPs.Take(_allowedCount)];
            }
            return [];
        }

        private static bool SameNetwork(IPNetwork network, ReadOnlySpan<char> text)
        {
            // Address, '/', length by hand: IPNetwork.TryFormat allocates (24 bytes a call in .NET 10).
            Span<char> own = stackalloc char[MaxValueChars];
            if (!network.BaseAddress.TryFormat(own, out var n) || n >= own.Length)
            {
                return false;
            }
            own[n++] = '/';
            return network.PrefixLength.TryFormat(own[n..], out var written, default, CultureInfo.InvariantCulture) && own[..(n + written)].SequenceEqual(text);
        }
    }
}
