using Appliance.Gateway.Commands;
using Appliance.Gateway.Model;

namespace Appliance.Gateway.Nftables;

/// <summary>Keeps <c>table inet appliance</c> in step with the plan through <c>nft -f -</c>; other tables are never touched.</summary>
public sealed class NftablesFirewallBackend : IFirewallBackend
{
    private readonly ICommandRunner _runner;
    private readonly string _nft;

    /// <param name="nftProgram">The nft executable (name on PATH or full path).</param>
    public NftablesFirewallBackend(ICommandRunner runner, string nftProgram = "nft")
    {
        _runner = runner;
        _nft = nftProgram;
    }

    public string Name => "nftables";

    public Task ApplyAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default) =>
        LoadAsync(NftRulesetRenderer.Render(plan), cancellationToken);

    public Task RemoveAsync(CancellationToken cancellationToken = default) =>
        LoadAsync(NftRulesetRenderer.RenderRemoval(), cancellationToken);

    public async Task<bool> IsPresentAsync(CancellationToken cancellationToken = default)
    {
        string[] args = ["list", "tables"];
        var r = (await _runner.RunAsync(_nft, args, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess(_nft, args);
        return ContainsOurTable(r.StdOut);
    }

    /// <summary>The whole table is replaced atomically, so it is either there as loaded or gone.</summary>
    public Task<bool> IsIntactAsync(GatewayFirewallPlan plan, CancellationToken cancellationToken = default) => IsPresentAsync(cancellationToken);

    /// <summary>Whether <c>nft list tables</c> output names our table.</summary>
    public static bool ContainsOurTable(string listTablesOutput) =>
        listTablesOutput.Split('\n').Any(l => l.Trim() == $"table {NftRulesetRenderer.Family} {NftRulesetRenderer.TableName}");

    private async Task LoadAsync(string ruleset, CancellationToken cancellationToken)
    {
        // "-f -" reads the file from stdin: one transaction, nothing written to disk.
        string[] args = ["-f", "-"];
        (await _runner.RunAsync(_nft, args, ruleset, cancellationToken).ConfigureAwait(false)).EnsureSuccess(_nft, args);
    }
}
