using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Zone;

/// <summary>
/// An immutable view of everything the server answers for itself: names with precomputed answers, the zones it is
/// authoritative for, and the access list. Built off to the side and swapped in atomically, so a reload or a
/// mesh update never disturbs queries in flight.
/// </summary>
internal sealed class DnsZoneSnapshot
{
    private readonly Dictionary<string, DnsNameNode> _names;
    private readonly Dictionary<string, DnsNameNode>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly DnsAuthority[] _forwardZones;
    private readonly DnsAuthority[] _reverseZones;

    private DnsZoneSnapshot(Dictionary<string, DnsNameNode> names, DnsAuthority[] forward, DnsAuthority[] reverse, DnsAccessList acl)
    {
        _names = names;
        _lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        // Most specific zone first.
        _forwardZones = [.. forward.OrderByDescending(z => z.OriginWireLength)];
        _reverseZones = [.. reverse.OrderByDescending(z => z.ReverseRange!.Value.PrefixLength)];
        Access = acl;
    }

    public static DnsZoneSnapshot Empty { get; } = Build([], DnsHostsSource.Empty, []);

    public DnsAccessList Access { get; }

    public int NameCount => _names.Count;

    public bool TryGetName(ReadOnlySpan<char> name, out DnsNameNode node) => _lookup.TryGetValue(name, out node!);

    /// <summary>The zone, if any, that is authoritative for <paramref name="name"/> (a miss there is NXDOMAIN).</summary>
    public DnsAuthority? FindAuthority(ReadOnlySpan<char> name)
    {
        foreach (var z in _forwardZones)
        {
            if (DnsName.IsSubdomainOf(name, z.Origin))
            {
                return z;
            }
        }
        if (_reverseZones.Length > 0 && DnsReverseName.TryParse(name, out var address))
        {
            foreach (var z in _reverseZones)
            {
                if (z.ReverseRange!.Value.Contains(address!))
                {
                    return z;
                }
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="name"/> is the apex of a zone we hold (which has an SOA).</summary>
    public DnsAuthority? FindApex(ReadOnlySpan<char> name)
    {
        foreach (var z in _forwardZones)
        {
            if (name.Equals(z.Origin, StringComparison.OrdinalIgnoreCase))
            {
                return z;
            }
        }
        foreach (var z in _reverseZones)
        {
            if (name.Equals(z.Origin, StringComparison.OrdinalIgnoreCase))
            {
                return z;
            }
        }
        return null;
    }

    /// <summary>Builds a snapshot; throws <see cref="ArgumentException"/> naming the bad entry before anything is swapped.</summary>
    public static DnsZoneSnapshot Build(IReadOnlyList<DnsMeshZone> zones, DnsHostsSource hosts, IReadOnlyList<IPNetwork> allowed)
    {
        var serial = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var builders = new Dictionary<string, NodeBuilder>(StringComparer.OrdinalIgnoreCase);
        var forward = new List<DnsAuthority>();
        var reverse = new List<DnsAuthority>();
        var ranges = new List<IPNetwork>(allowed);
        foreach (var zone in zones)
        {
            var origin = zone.Origin;
            Validate(origin, $"zone {zone.Network}");
            var auth = new DnsAuthority(origin, zone.NegativeTtl, serial);
            forward.Add(auth);
            foreach (var range in zone.MeshRanges)
            {
                ranges.Add(range);
                reverse.Add(new DnsAuthority(DnsReverseName.ZoneFor(range), zone.NegativeTtl, serial, range));
            }
            foreach (var h in zone.Hosts)
            {
                var name = DnsNameText.Join(h.Name, origin);
                Validate(name, $"host '{h.Name}' in zone {origin}");
                var b = Node(builders, name, auth);
                foreach (var a in h.Addresses)
                {
                    b.Add(a, zone.Ttl);
                    var rev = Node(builders, DnsReverseName.For(a), null);
                    rev.AddPtr(name, zone.Ttl);
                }
                // Empty non-terminals between the name and the origin exist (NODATA, not NXDOMAIN).
                for (var parent = Parent(name); parent is not null && parent.Length > origin.Length; parent = Parent(parent))
                {
                    Node(builders, parent, auth);
                }
            }
        }
        foreach (var z in hosts.AuthoritativeZones)
        {
            forward.Add(new DnsAuthority(DnsNameText.Normalize(z), Math.Min(hosts.Ttl, 30u), serial));
        }
        foreach (var e in hosts.Entries)
        {
            foreach (var n in e.Names)
            {
                var name = DnsNameText.Normalize(n);
                Validate(name, $"hosts line {e.Line}");
                Node(builders, name, null).Add(e.Address, hosts.Ttl);
            }
            if (hosts.Reverse && e.Names.Count > 0)
            {
                Node(builders, DnsReverseName.For(e.Address), null).AddPtr(DnsNameText.Normalize(e.Names[0]), hosts.Ttl);
            }
        }
        // Reverse names inside a reverse zone belong to it (their NODATA carries its SOA).
        var revSorted = reverse.OrderByDescending(r => r.ReverseRange!.Value.PrefixLength).ToArray();
        var fwdSorted = forward.OrderByDescending(f => f.OriginWireLength).ToArray();
        var names = new Dictionary<string, DnsNameNode>(builders.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, b) in builders)
        {
            var node = b.Finish();
            node.Authority ??= fwdSorted.FirstOrDefault(z => DnsName.IsSubdomainOf(name, z.Origin))
                ?? (b.ReverseOf is { } addr ? revSorted.FirstOrDefault(z => z.ReverseRange!.Value.Contains(addr)) : null);
            names[name] = node;
        }
        return new DnsZoneSnapshot(names, [.. forward], [.. reverse], new DnsAccessList(ranges));
    }

    private static void Validate(string name, string what)
    {
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        if (!DnsName.TryEncode(name, wire, out _, out var error))
        {
            throw new ArgumentException($"{what}: invalid name '{name}': {error}");
        }
    }

    private static string? Parent(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? null : name[(dot + 1)..];
    }

    private static NodeBuilder Node(Dictionary<string, NodeBuilder> builders, string name, DnsAuthority? auth)
    {
        if (!builders.TryGetValue(name, out var b))
        {
            b = new NodeBuilder();
            if (name.EndsWith(".arpa", StringComparison.OrdinalIgnoreCase) && DnsReverseName.TryParse(name, out var a))
            {
                b.ReverseOf = a;
            }
            builders[name] = b;
        }
        b.Authority ??= auth;
        return b;
    }

    // Collections are created on first use: most names have one address and no PTR, and a 10,000-name build
    // should not leave hundreds of empty lists and sets behind for the GC.
    private sealed class NodeBuilder
    {
        private List<byte>? _a;
        private List<byte>? _aaaa;
        private List<byte>? _ptr;
        private List<IPAddress>? _seen;
        private List<string>? _ptrSeen;

        public DnsAuthority? Authority { get; set; }

        public IPAddress? ReverseOf { get; set; }

        public byte PtrCount { get; private set; }

        public void Add(IPAddress address, uint ttl)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }
            _seen ??= new List<IPAddress>(1);
            if (_seen.Contains(address))
            {
                return;
            }
            _seen.Add(address);
            var v4 = address.AddressFamily == AddressFamily.InterNetwork;
            var list = v4 ? (_a ??= new List<byte>(DnsNameNode.ARecordLength)) : (_aaaa ??= new List<byte>(DnsNameNode.AaaaRecordLength));
            Span<byte> rr = stackalloc byte[DnsNameNode.AaaaRecordLength];
            var len = v4 ? 4 : 16;
            WriteRecordHeader(rr, v4 ? DnsRecordType.A : DnsRecordType.AAAA, ttl, len);
            address.TryWriteBytes(rr[12..], out _);
            list.AddRange(rr[..(12 + len)]);
        }

        public void AddPtr(string target, uint ttl)
        {
            _ptrSeen ??= new List<string>(1);
            if (PtrCount == byte.MaxValue || _ptrSeen.Contains(target, StringComparer.OrdinalIgnoreCase))
            {
                return;
            }
            _ptrSeen.Add(target);
            Span<byte> rr = stackalloc byte[12 + DnsName.MaxLength];
            var len = DnsName.Encode(target, rr[12..]);
            WriteRecordHeader(rr, DnsRecordType.PTR, ttl, len);
            (_ptr ??= new List<byte>(12 + len)).AddRange(rr[..(12 + len)]);
            PtrCount++;
        }

        public DnsNameNode Finish() => new()
        {
            A = _a is { Count: > 0 } ? [.. _a] : null,
            Aaaa = _aaaa is { Count: > 0 } ? [.. _aaaa] : null,
            Ptr = _ptr is { Count: > 0 } ? [.. _ptr] : null,
            PtrCount = PtrCount,
            Authority = Authority,
        };

        private static void WriteRecordHeader(Span<byte> rr, DnsRecordType type, uint ttl, int rdlen)
        {
            BinaryPrimitives.WriteUInt16BigEndian(rr, 0xC00C);
            BinaryPrimitives.WriteUInt16BigEndian(rr[2..], (ushort)type);
            BinaryPrimitives.WriteUInt16BigEndian(rr[4..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(rr[6..], ttl);
            BinaryPrimitives.WriteUInt16BigEndian(rr[10..], (ushort)rdlen);
        }
    }
}
