namespace Appliance.WireGuard;

/// <summary>A reply that does not parse: a malformed UAPI line, a truncated netlink message.</summary>
public sealed class WireGuardProtocolException : WireGuardException
{
    public WireGuardProtocolException(string message)
        : base(message)
    {
    }

    public WireGuardProtocolException()
    {
    }

    public WireGuardProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
