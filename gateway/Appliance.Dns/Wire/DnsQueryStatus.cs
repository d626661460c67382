namespace Appliance.Dns.Wire;

/// <summary>What a server should do with an incoming message, decided by <see cref="DnsQueryReader"/>.</summary>
public enum DnsQueryStatus
{
    /// <summary>A well-formed standard query with one question.</summary>
    Ok,

    /// <summary>Not answerable at all (shorter than a header, or a response): drop silently (RFC 1035 7.3).</summary>
    Drop,

    /// <summary>The header is readable but the rest is malformed: answer FORMERR.</summary>
    FormErr,

    /// <summary>An opcode other than QUERY: answer NOTIMP.</summary>
    NotImp,

    /// <summary>EDNS version above 0: answer BADVERS (RFC 6891 6.1.3).</summary>
    BadVers,
}
