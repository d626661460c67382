namespace Appliance.Netlink;

/// <summary>Bytes that are not a well-formed netlink message (truncated header, bad length, short attribute).</summary>
public sealed class NetlinkProtocolException : Exception
{
    public NetlinkProtocolException()
    {
    }

    public NetlinkProtocolException(string message)
        : base(message)
    {
    }

    public NetlinkProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
