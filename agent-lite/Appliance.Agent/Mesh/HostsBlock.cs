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

    public static string Remove(string existing, string network)
    {
        var begin = Begin(network);
        var end = End(network);
        var sb = new StringBuilder();
        var inside = false;
        foreach (var line in existing.Split('\n'))
        {
            if (line == begin)
            {
                inside = true;
                continue;
            }
            if (inside)
            {
                if (line == end)
                {
                    inside = false;
                }
                continue;
            }
            sb.Append(line).Append('\n');
        }
        // Split leaves one empty piece after a final newline; do not add a line that was not there.
        var text = sb.ToString();
        return existing.EndsWith('\n') || existing.Length == 0 ? text[..^1] : text.TrimEnd('\n');
    }
}
