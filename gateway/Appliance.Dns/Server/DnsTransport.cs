namespace Appliance.Dns.Server;

/// <summary>How a query arrived; only UDP answers are subject to truncation.</summary>
public enum DnsTransport
{
    Udp,
    Tcp,
}
