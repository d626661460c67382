namespace Appliance.Gateway.Sysctl;

/// <summary>Kernel parameters through /proc/sys files of the caller's own network namespace.</summary>
public sealed class ProcSysctl : ISysctl
{
    private readonly string _root;

    /// <param name="root">The /proc/sys mount (tests may point elsewhere).</param>
    public ProcSysctl(string root = "/proc/sys")
    {
        _root = root;
    }

    /// <summary>net.ipv4.ip_forward → /proc/sys/net/ipv4/ip_forward (pure).</summary>
    public string PathOf(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('/', StringComparison.Ordinal) || key.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"not a sysctl name: '{key}'", nameof(key));
        }
        return Path.Combine(_root, key.Replace('.', '/'));
    }

    public async Task<string> ReadAsync(string key, CancellationToken cancellationToken = default) =>
        (await File.ReadAllTextAsync(PathOf(key), cancellationToken).ConfigureAwait(false)).Trim();

    public Task WriteAsync(string key, string value, CancellationToken cancellationToken = default) =>
        File.WriteAllTextAsync(PathOf(key), value + "\n", cancellationToken);
}
