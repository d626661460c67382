using System.Net.Sockets;
using Appliance.Gateway.Model;
using Appliance.Gateway.Sysctl;

namespace Appliance.Gateway;

/// <summary>
/// Brings a node's gateway roles and access-policy filter to the desired state: firewall rules through one
/// <see cref="IFirewallBackend"/> and the forwarding sysctls (roles only). Validation happens before anything is
/// touched; an unchanged spec runs no command; a spec without roles and filter (or null) removes everything the
/// reconciler added and puts forwarding back.
/// Not thread-safe: call from the agent's single reconcile loop.
/// </summary>
public sealed class GatewayRoleReconciler
{
    private readonly IFirewallBackend _firewall;
    private readonly ForwardingSysctl _forwarding;
    private GatewayFirewallPlan? _applied;
    private AddressFamily[] _forwardingFamilies = [];
    private bool _removed;

    public GatewayRoleReconciler(IFirewallBackend firewall, ForwardingSysctl forwarding)
    {
        _firewall = firewall;
        _forwarding = forwarding;
    }

    /// <summary>The plan last applied successfully by this instance, or null.</summary>
    public GatewayFirewallPlan? Applied => _applied;

    public IFirewallBackend Firewall => _firewall;

    /// <summary>
    /// Applies <paramref name="spec"/>; returns false when nothing had to change. Throws
    /// <see cref="GatewaySpecException"/> for bad input (nothing changed) and
    /// <see cref="Commands.FirewallCommandException"/> when a command fails (the previous ruleset stays).
    /// </summary>
    public async Task<bool> ApplyAsync(GatewayFirewallSpec? spec, CancellationToken cancellationToken = default)
    {
        var plan = spec is null ? null : GatewayFirewallPlan.Create(spec);
        if (plan is null || !(plan.HasForward || plan.HasFilter))
        {
            return await RemoveAsync(cancellationToken).ConfigureAwait(false);
        }
        if (plan.Equals(_applied))
        {
            return false;
        }
        // Rules first, forwarding second: forwarding is never on without our rules in place.
        await _firewall.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        _removed = false;
        AddressFamily[] families = [.. new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }.Where(plan.NeedsForwarding)];
        // Forwarding was set for these families by the last apply; a client or range change needs no sysctl.
        if (_applied is null || !families.SequenceEqual(_forwardingFamilies))
        {
            await _forwarding.EnsureAsync(families, cancellationToken).ConfigureAwait(false);
            _forwardingFamilies = families;
        }
        _applied = plan;
        return true;
    }

    /// <summary>
    /// Reads the firewall back and re-applies the last plan when our rules are gone (another program flushed the
    /// ruleset, a firewall reload, <c>iptables -F</c>); returns true when it had to. Only reads when all is in place.
    /// </summary>
    public async Task<bool> RepairAsync(CancellationToken cancellationToken = default)
    {
        if (_applied is not { } plan || await _firewall.IsIntactAsync(plan, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        await _firewall.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Removes every rule and puts forwarding back as it was before the first apply (also after an agent restart,
    /// from the state file). Runs no command when this instance already removed everything.
    /// </summary>
    public async Task<bool> RemoveAsync(CancellationToken cancellationToken = default)
    {
        if (_removed)
        {
            return false;
        }
        // Forwarding off first, so nothing is forwarded unfiltered while the rules go.
        await _forwarding.RestoreAsync(cancellationToken).ConfigureAwait(false);
        await _firewall.RemoveAsync(cancellationToken).ConfigureAwait(false);
        _applied = null;
        _removed = true;
        return true;
    }
}
