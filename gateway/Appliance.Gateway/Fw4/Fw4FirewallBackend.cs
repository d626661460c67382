using Appliance.Gateway.Commands;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;

namespace Appliance.Gateway.Fw4;

/// <summary>
/// OpenWRT fw4: our own <c>table inet appliance</c> (as <see cref="NftablesFirewallBackend"/>; fw4 only ever
/// replaces its own <c>inet fw4</c> table) plus a uci zone and forwardings so fw4's drop policies let the mesh
/// traffic through. uci is changed and fw4 reloaded only when our sections differ from the desired ones.
/// </summary>
public sealed class Fw4FirewallBackend : IFirewallBackend
{
    private readonly ICommandRunner _runner;
    private readonly Fw4Options _options;
    private readonly NftablesFirewallBackend _nft;

    public Fw4FirewallBackend(ICommandRunner runner, Fw4Options? options = null)
    {
        _runner = runner;
        _options = options ?? new Fw4Options();
        _nft = new NftablesFirewallBackend(runner);
    }

    public string Name => "fw4";

    public async Task ApplyAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default)
    {
        // Our table first: the narrow rules are in place before fw4 opens the zone.
        await _nft.ApplyAsync(plan, cancellationToken).ConfigureAwait(false);
        await SyncUciAsync(Fw4UciRenderer.DesiredShowLines(plan, _options), cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        // The zone goes first, so fw4's policies close the mesh before our rules disappear.
        await SyncUciAsync([], cancellationToken).ConfigureAwait(false);
        await _nft.RemoveAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> IsPresentAsync(CancellationToken cancellationToken = default) =>
        (await ReadUciAsync(cancellationToken).ConfigureAwait(false)).Count > 0 ||
        await _nft.IsPresentAsync(cancellationToken).ConfigureAwait(false);

    public async Task<bool> IsIntactAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default) =>
        await _nft.IsIntactAsync(plan, cancellationToken).ConfigureAwait(false) &&
        (await ReadUciAsync(cancellationToken).ConfigureAwait(false)).SequenceEqual(Fw4UciRenderer.DesiredShowLines(plan, _options), StringComparer.Ordinal);

    private async Task SyncUciAsync(IReadOnlyList<string> desired, CancellationToken cancellationToken)
    {
        var present = await ReadUciAsync(cancellationToken).ConfigureAwait(false);
        if (present.SequenceEqual(desired, StringComparer.Ordinal))
        {
            return;
        }
        string[] batch = ["batch"];
        (await _runner.RunAsync("uci", batch, Fw4UciRenderer.RenderBatch(present, desired), cancellationToken).ConfigureAwait(false))
            .EnsureSuccess("uci", batch);
        var reload = _options.ReloadCommand;
        (await _runner.RunAsync(reload[0], [.. reload.Skip(1)], null, cancellationToken).ConfigureAwait(false))
            .EnsureSuccess(reload[0], [.. reload.Skip(1)]);
    }

    private async Task<IReadOnlyList<string>> ReadUciAsync(CancellationToken cancellationToken)
    {
        string[] args = ["show", "firewall"];
        var r = (await _runner.RunAsync("uci", args, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("uci", args);
        return Fw4UciRenderer.OurShowLines(r.StdOut);
    }
}
