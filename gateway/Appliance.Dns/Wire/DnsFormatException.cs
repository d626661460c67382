namespace Appliance.Dns.Wire;

/// <summary>A DNS message that does not follow RFC 1035's wire format; the message says what and where.</summary>
public sealed class DnsFormatException : Exception
{
    public DnsFormatException(string message)
        : base(message)
    {
    }

    public DnsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DnsFormatException()
    {
    }
}
