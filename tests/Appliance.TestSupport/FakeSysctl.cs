using Appliance.Gateway.Sysctl;

namespace Appliance.TestSupport;

/// <summary>Kernel parameters in a dictionary; counts writes.</summary>
public sealed class FakeSysctl : ISysctl
{
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal)
    {
        [ForwardingSysctl.Ipv4Key] = "0",
        [ForwardingSysctl.Ipv6Key] = "0",
    };

    public List<string> Writes { get; } = [];

    public List<string> Reads { get; } = [];

    public Task<string> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        Reads.Add(key);
        return Task.FromResult(Values[key]);
    }

    public Task WriteAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        Writes.Add($"{key}={value}");
        Values[key] = value;
        return Task.CompletedTask;
    }
}
