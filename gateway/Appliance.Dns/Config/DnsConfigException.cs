namespace Appliance.Dns.Config;

/// <summary>A hosts file, Corefile or resolv.conf that cannot be used; the message names the file, line and problem.</summary>
public sealed class DnsConfigException : Exception
{
    public DnsConfigException(string message)
        : base(message)
    {
    }

    public DnsConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DnsConfigException()
    {
    }
}
