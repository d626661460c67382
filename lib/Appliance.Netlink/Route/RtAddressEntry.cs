namespace Appliance.Netlink.Route;

/// <summary>
/// The fields of one RTM_NEWADDR message read without allocating: interface index, family, prefix length, scope,
/// flags and the address bytes (4 or 16; IFA_LOCAL, else IFA_ADDRESS). Valid only as long as the buffer it was read from.
/// </summary>
public readonly ref struct RtAddressEntry
{
    public RtAddressEntry(int interfaceIndex, byte family, byte prefixLength, byte scope, uint flags, ReadOnlySpan<byte> address)
    {
        InterfaceIndex = interfaceIndex;
        Family = family;
        PrefixLength = prefixLength;
        Scope = scope;
        Flags = flags;
        Address = address;
    }

    public int InterfaceIndex { get; }

    /// <summary>AF_INET (2) or AF_INET6 (10).</summary>
    public byte Family { get; }

    public byte PrefixLength { get; }

    /// <summary>RT_SCOPE_*: 0 universe, 253 link, 254 host.</summary>
    public byte Scope { get; }

    /// <summary>IFA_F_* (IFA_FLAGS when present: it carries the bits above the 8 of <c>ifa_flags</c>).</summary>
    public uint Flags { get; }

    /// <summary>4 bytes for AF_INET, 16 for AF_INET6, network byte order.</summary>
    public ReadOnlySpan<byte> Address { get; }

    public bool IsIPv4 => Family == RtNetlinkConstants.AF_INET;

    /// <summary>fe80::/10 (RFC 4291 2.5.6).</summary>
    public bool IsIPv6LinkLocal => Family == RtNetlinkConstants.AF_INET6 && Address[0] == 0xfe && (Address[1] & 0xc0) == 0x80;
}
