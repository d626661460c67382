using System.Net.Sockets;
using Appliance.Gateway.Commands;
using Appliance.Gateway.Model;

namespace Appliance.Gateway.Iptables;

/// <summary>
/// Keeps our chains (APPLIANCE-FWD in filter, APPLIANCE-POST in nat) in step with the plan for IPv4 and IPv6:
/// per family one <c>*-save</c> to see which jumps exist, then one <c>*-restore --noflush</c>. Other chains
/// and rules are never flushed or edited.
/// </summary>
public sealed class IptablesFirewallBackend : IFirewallBackend
{
    private readonly ICommandRunner _runner;
    private readonly IptablesVariant _variant;

    public IptablesFirewallBackend(ICommandRunner runner, IptablesVariant variant = IptablesVariant.Default)
    {
        _runner = runner;
        _variant = variant;
    }

    public string Name => _variant switch
    {
        IptablesVariant.Legacy => "iptables-legacy",
        IptablesVariant.Nft => "iptables-nft",
        _ => "iptables",
    };

    /// <summary>The executable for <paramref name="tool"/> ("save" or "restore") of a family in this variant.</summary>
    public string Program(AddressFamily family, string tool)
    {
        var basename = family == AddressFamily.InterNetwork ? "iptables" : "ip6tables";
        return _variant switch
        {
            IptablesVariant.Legacy => $"{basename}-legacy-{tool}",
            IptablesVariant.Nft => $"{basename}-nft-{tool}",
            _ => $"{basename}-{tool}",
        };
    }

    public async Task ApplyAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default)
    {
        // Both families always: a family without ranges still gets the "nothing else" drop for the mesh interface.
        foreach (var family in Families)
        {
            var current = await ReadAsync(family, cancellationToken).ConfigureAwait(false);
            await RestoreAsync(family, IptablesRestoreRenderer.Render(plan, family, current), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        foreach (var family in Families)
        {
            var current = await ReadAsync(family, cancellationToken).ConfigureAwait(false);
            var input = IptablesRestoreRenderer.RenderRemoval(current);
            if (input.Length > 0)
            {
                await RestoreAsync(family, input, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<bool> IsPresentAsync(CancellationToken cancellationToken = default)
    {
        foreach (var family in Families)
        {
            if ((await ReadAsync(family, cancellationToken).ConfigureAwait(false)).AnyOurs)
            {
                return true;
            }
        }
        return false;
    }

    public async Task<bool> IsIntactAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default)
    {
        foreach (var family in Families)
        {
            var current = await ReadAsync(family, cancellationToken).ConfigureAwait(false);
            if (!IptablesRestoreRenderer.IsIntact(plan, family, current))
            {
                return false;
            }
        }
        return true;
    }

    private static readonly AddressFamily[] Families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    private async Task<IptablesSaveState> ReadAsync(AddressFamily family, CancellationToken cancellationToken)
    {
        var program = Program(family, "save");
        var r = (await _runner.RunAsync(program, [], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess(program, []);
        return IptablesSaveState.Parse(r.StdOut);
    }

    private async Task RestoreAsync(AddressFamily family, string input, CancellationToken cancellationToken)
    {
        var program = Program(family, "restore");
        // --wait: queue behind other software holding the xtables lock instead of failing.
        string[] args = ["--noflush", "--wait"];
        (await _runner.RunAsync(program, args, input, cancellationToken).ConfigureAwait(false)).EnsureSuccess(program, args);
    }
}
