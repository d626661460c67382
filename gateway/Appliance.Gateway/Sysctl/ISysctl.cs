namespace Appliance.Gateway.Sysctl;

/// <summary>Reads and writes kernel parameters by their sysctl name (<c>net.ipv4.ip_forward</c>).</summary>
public interface ISysctl
{
    Task<string> ReadAsync(string key, CancellationToken cancellationToken = default);

    Task WriteAsync(string key, string value, CancellationToken cancellationToken = default);
}
