namespace Appliance.Gateway.Iptables;

/// <summary>
/// What of ours an <c>iptables-save</c> dump shows: our chains and the rules that jump to them, per table,
/// as the exact <c>-A ...</c> lines the tool prints (parsed purely from text).
/// </summary>
public sealed class IptablesSaveState
{
    private readonly Dictionary<string, HashSet<string>> _chains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _jumps = new(StringComparer.Ordinal);

    public static IptablesSaveState Empty { get; } = new();

    public static IptablesSaveState Parse(string saveOutput)
    {
        ArgumentNullException.ThrowIfNull(saveOutput);
        var state = new IptablesSaveState();
        var table = "";
        foreach (var raw in saveOutput.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('*'))
            {
                table = line[1..];
            }
            else if (line.StartsWith(':'))
            {
                var name = line[1..].Split(' ')[0];
                if (IsOurs(name))
                {
                    Get(state._chains, table).Add(name);
                }
            }
            else if (line.StartsWith("-A ", StringComparison.Ordinal) && IsJumpToOurs(line))
            {
                var chain = line.Split(' ')[1];
                if (!IsOurs(chain))
                {
                    Get(state._jumps, table).Add(line);
                }
            }
        }
        return state;
    }

    /// <summary>Our chains present in <paramref name="table"/>.</summary>
    public IReadOnlySet<string> ChainsIn(string table) => _chains.TryGetValue(table, out var s) ? s : new HashSet<string>();

    /// <summary>Rules in built-in chains of <paramref name="table"/> that jump to one of our chains, as <c>-A ...</c> lines.</summary>
    public IReadOnlyList<string> JumpsIn(string table) => _jumps.TryGetValue(table, out var l) ? l : [];

    public bool AnyOurs => _chains.Values.Any(s => s.Count > 0) || _jumps.Values.Any(l => l.Count > 0);

    private static bool IsOurs(string chain) => chain is IptablesChains.Forward or IptablesChains.Input or IptablesChains.PolicyForward or IptablesChains.Postrouting;

    private static bool IsJumpToOurs(string line)
    {
        var parts = line.Split(' ');
        var j = Array.IndexOf(parts, "-j");
        if (j < 0)
        {
            j = Array.IndexOf(parts, "-g");
        }
        return j >= 0 && j + 1 < parts.Length && IsOurs(parts[j + 1]);
    }

    private static TValue Get<TValue>(Dictionary<string, TValue> d, string key)
        where TValue : new()
    {
        if (!d.TryGetValue(key, out var v))
        {
            v = new TValue();
            d[key] = v;
        }
        return v;
    }
}
