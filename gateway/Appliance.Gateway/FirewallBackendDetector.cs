using Appliance.Gateway.Commands;
using Appliance.Gateway.Fw4;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Nftables;

namespace Appliance.Gateway;

/// <summary>
/// Picks the firewall backend for this host: OpenWRT with fw4 → "fw4"; <c>nft</c> present → "nftables";
/// otherwise "iptables". An override name wins ("nftables", "iptables", "iptables-legacy", "iptables-nft", "fw4").
/// </summary>
public static class FirewallBackendDetector
{
    public static readonly IReadOnlyList<string> Names = ["fw4", "nftables", "iptables", "iptables-legacy", "iptables-nft"];

    /// <summary>The backend name for this host (pure over <paramref name="host"/>).</summary>
    public static string Detect(IFirewallHost host, string? overrideName = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!string.IsNullOrEmpty(overrideName) && !string.Equals(overrideName, "auto", StringComparison.Ordinal))
        {
            return Names.Contains(overrideName)
                ? overrideName
                : throw new ArgumentException($"unknown firewall backend '{overrideName}'; expected auto or one of {string.Join(", ", Names)}", nameof(overrideName));
        }
        if (host.FileExists("/etc/openwrt_release") && host.ProgramExists("fw4"))
        {
            return "fw4";
        }
        if (host.ProgramExists("nft"))
        {
            return "nftables";
        }
        if (host.ProgramExists("iptables-restore"))
        {
            return "iptables";
        }
        throw new InvalidOperationException("no firewall found: neither nft nor iptables-restore is installed");
    }

    /// <summary>The backend called <paramref name="name"/>, running its commands through <paramref name="runner"/>.</summary>
    public static IFirewallBackend Create(string name, ICommandRunner runner, Fw4Options? fw4 = null) => name switch
    {
        "fw4" => new Fw4FirewallBackend(runner, fw4),
        "nftables" => new NftablesFirewallBackend(runner),
        "iptables" => new IptablesFirewallBackend(runner, IptablesVariant.Default),
        "iptables-legacy" => new IptablesFirewallBackend(runner, IptablesVariant.Legacy),
        "iptables-nft" => new IptablesFirewallBackend(runner, IptablesVariant.Nft),
        _ => throw new ArgumentException($"unknown firewall backend '{name}'; expected one of {string.Join(", ", Names)}", nameof(name)),
    };
}
