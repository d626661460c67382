using Appliance.Gateway.Model;

namespace Appliance.Gateway;

/// <summary>
/// Installs the gateway's forwarding and NAT rules in one firewall system. Every implementation touches only
/// what it owns (its table or chains and the jumps to them), replaces it atomically, and leaves the previous
/// rules in place when an apply fails.
/// </summary>
public interface IFirewallBackend
{
    /// <summary>"nftables", "iptables-legacy", "fw4"...; for logs and the detector override.</summary>
    string Name { get; }

    /// <summary>Replaces our rules with the ones for <paramref name="plan"/>; throws <see cref="Commands.FirewallCommandException"/> on failure.</summary>
    Task ApplyAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default);

    /// <summary>Removes everything this backend ever adds; succeeds when nothing of ours is present.</summary>
    Task RemoveAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the firewall back: whether any rule, chain or table of ours is installed.</summary>
    Task<bool> IsPresentAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the firewall back: whether what <paramref name="plan"/> needs is still hooked in (our table, or our
    /// chains with their jumps, or our fw4 sections); false after another program flushed or edited them away.
    /// </summary>
    Task<bool> IsIntactAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default);
}
