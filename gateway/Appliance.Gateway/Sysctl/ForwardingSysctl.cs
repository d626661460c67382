using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Appliance.Contracts;

namespace Appliance.Gateway.Sysctl;

/// <summary>
/// Turns IPv4/IPv6 forwarding on for the families a gateway needs and puts the prior values back when it no longer
/// does. Prior values are saved (atomically) to a small state file before the first change, so they survive an
/// agent restart: the file holds one <c>key=value</c> line per parameter we changed.
/// </summary>
public sealed class ForwardingSysctl
{
    public const string Ipv4Key = "net.ipv4.ip_forward";
    public const string Ipv6Key = "net.ipv6.conf.all.forwarding";

    private readonly ISysctl _sysctl;
    private readonly string _stateFile;

    public ForwardingSysctl(ISysctl sysctl, string stateFile)
    {
        _sysctl = sysctl;
        _stateFile = stateFile;
    }

    public static string KeyFor(AddressFamily family) => family == AddressFamily.InterNetwork ? Ipv4Key : Ipv6Key;

    /// <summary>Forwarding on for exactly <paramref name="families"/>; families no longer listed get their prior value back.</summary>
    public async Task EnsureAsync(IReadOnlyCollection<AddressFamily> families, CancellationToken cancellationToken = default)
    {
        var prior = ReadState();
        var wanted = families.Select(KeyFor).ToHashSet(StringComparer.Ordinal);
        foreach (var key in wanted.Order(StringComparer.Ordinal))
        {
            var current = await _sysctl.ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (!prior.ContainsKey(key))
            {
                // Record before changing, so a crash between the two never loses the original value.
                prior[key] = current;
                WriteState(prior);
            }
            if (current != "1")
            {
                await _sysctl.WriteAsync(key, "1", cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var key in prior.Keys.Where(k => !wanted.Contains(k)).Order(StringComparer.Ordinal).ToList())
        {
            await RestoreKeyAsync(key, prior[key], cancellationToken).ConfigureAwait(false);
            prior.Remove(key);
            WriteState(prior);
        }
    }

    /// <summary>Puts every recorded parameter back and deletes the state file.</summary>
    public Task RestoreAsync(CancellationToken cancellationToken = default) => EnsureAsync([], cancellationToken);

    /// <summary>The values recorded before our first change, by key (empty when we changed nothing).</summary>
    public IReadOnlyDictionary<string, string> RecordedPriorValues => ReadState();

    public static Dictionary<string, string> ParseState(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || eq <= 0)
            {
                continue;
            }
            d[line[..eq]] = line[(eq + 1)..];
        }
        return d;
    }

    public static string RenderState(IReadOnlyDictionary<string, string> prior)
    {
        var sb = new StringBuilder("# forwarding sysctl values before the Appliance gateway changed them\n");
        foreach (var (k, v) in prior.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{k}={v}\n");
        }
        return sb.ToString();
    }

    private async Task RestoreKeyAsync(string key, string value, CancellationToken cancellationToken)
    {
        if (await _sysctl.ReadAsync(key, cancellationToken).ConfigureAwait(false) != value)
        {
            await _sysctl.WriteAsync(key, value, cancellationToken).ConfigureAwait(false);
        }
    }

    private Dictionary<string, string> ReadState() =>
        File.Exists(_stateFile) ? ParseState(File.ReadAllText(_stateFile)) : new Dictionary<string, string>(StringComparer.Ordinal);

    private void WriteState(Dictionary<string, string> prior)
    {
        if (prior.Count == 0)
        {
            File.Delete(_stateFile);
            return;
        }
        AtomicFile.Write(_stateFile, RenderState(prior), secret: false);
    }
}
