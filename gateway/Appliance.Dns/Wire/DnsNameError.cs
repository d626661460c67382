namespace Appliance.Dns.Wire;

/// <summary>Why a domain name on the wire could not be read (RFC 1035 3.1, 4.1.4).</summary>
public enum DnsNameError
{
    None,
    Truncated,
    LabelTooLong,
    NameTooLong,
    PointerOutOfBounds,
    PointerNotBackward,
    ReservedLabelType,
}
