using System.Net;
using System.Text;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Our lines in /etc/hosts live in a marked block per network; everything outside the block is kept byte for byte (pure).
/// </summary>
public static class HostsBlock
{
    public static string Begin(string network) => $"# BEGIN appliance {network} (managed by appliance-agent, do not edit)";

    public static string End(string network) => $"# END appliance {network}";

    /// <summary>The file with the network's block replaced (or appended); an empty list removes the block.</summary>
    public static string Render(string existing, string network, IReadOnlyList<(string Name, IPAddress Address)> names)
    {
        var without = Remove(existing, network);
        if (names.Count == 0)
        {
            return without;
        }
        var sb = new StringBuilder(without);
        if (sb.Length > 0 && sb[^1] != '\n')
        {
            sb.Append('\n');
        }
        sb.Append(Begin(network)).Append('\n');
        foreach (var (name, address) in names)
        {
            sb.Append(address).Append('\t').Append(name).Append('\n');
        }
        sb.Append(End(network)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The file without the network's complete blocks: a begin marker, then its end marker with no other begin marker
    /// in between. A marker without its partner (a begin never ended, an end before any begin, a begin followed by
    /// another begin) is kept as it is, with every line after it: a damaged file loses nothing that is not ours.
    /// </summary>
    public static string Remove(string existing, string network)
    {
        var begin = Begin(network);
        var end = End(network);
        var lines = existing.Split('\n');
        var sb = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] == begin && NextMarker(lines, i + 1, begin, end) is var j && j >= 0 && lines[j] == end)
            {
                i = j; // the whole block, both markers included
                continue;
            }
            sb.Append(lines[i]).Append('\n');
        }
        // Split leaves one empty piece after a final newline; do not add a line that was not there.
        var text = sb.ToString();
        return existing.EndsWith('\n') || existing.Length == 0 ? text[..^1] : text.TrimEnd('\n');
    }

    /// <summary>The index of the first begin or end marker at or after <paramref name="from"/>, or -1.</summary>
    private static int NextMarker(string[] lines, int from, string begin, string end)
    {
        for (var i = from; i < lines.Length; i++)
        {
            if (lines[i] == begin || lines[i] == end)
            {
                return i;
            }
        }
        return -1;
    }
}
