using System.Text;

namespace Appliance.Contracts;

/// <summary>Rules for the names that become DNS labels (networks, nodes): RFC 1123 host labels.</summary>
public static class Names
{
    public const int MaxLabelLength = 63;

    /// <summary>True for 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.</summary>
    public static bool IsDnsLabel(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLabelLength || name[0] == '-' || name[^1] == '-')
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Turns a device hostname into a DNS label: lower case, other characters become '-'.</summary>
    public static string ToDnsLabel(string? hostname, string fallback = "node")
    {
        var sb = new StringBuilder();
        foreach (var c in (hostname ?? string.Empty).ToLowerInvariant())
        {
            if (c == '.')
            {
                break; // a FQDN contributes its first label only
            }
            sb.Append(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' ? c : '-');
        }
        var label = sb.ToString().Trim('-');
        while (label.Contains("--", StringComparison.Ordinal))
        {
            label = label.Replace("--", "-", StringComparison.Ordinal);
        }
        if (label.Length > MaxLabelLength - 4)
        {
            label = label[..(MaxLabelLength - 4)].TrimEnd('-');
        }
        return label.Length == 0 ? fallback : label;
    }
}
