using System.Security.Cryptography.X509Certificates;
using Appliance.Agent.State;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Mesh;

// The daemon's checks besides the broker: following the server's signing key and checking the state over HTTPS.
public sealed partial class MeshDaemon
{
    /// <summary>Connected time without anything newer before the state is checked over HTTPS (default 10 minutes).</summary>
    public TimeSpan StateCheckAfter { get; init; } = MeshStateCheck.DefaultAfter;

    /// <summary>The server's node routes for a state (tests pass a fake); by default <see cref="ServerApi"/> over the pinned CA.</summary>
    public Func<AgentState, INodeStateSource>? StateSource { get; init; }

    // A desired state left by another identity (an earlier membership) is not this node's to restore.
    private NodeConfigDto? LoadOwnDesired(AgentState state) =>
        store.LoadDesired() is { } desired && desired.NodeId == state.NodeId ? desired : null;

    /// <summary>The gate now holds a new signing key: keep it in state.json (atomically) so a restart verifies with it too.</summary>
    private void FollowSigningKey(AgentState state, MeshUpdateGate gate, MeshStateCheck check, string why)
    {
        store.SaveState((store.LoadState() ?? state) with { SigningKey = Convert.ToBase64String(gate.SigningKey) });
        check.HeardNews();
        log.WriteLine(why);
    }

    /// <summary>
    /// Follows the server's signing-key chain from the key held, then fetches the desired state and applies it when
    /// it is newer or of a new lineage (a network created again, another database) than what runs.
    /// </summary>
    private async Task CheckOverHttpsAsync(AgentState state, MeshUpdateGate gate, MeshStateCheck check, CancellationToken ct)
    {
        using var source = StateSource?.Invoke(state) ?? DefaultSource(state);
        var chain = await source.GetSigningKeysAsync(ct);
        var pulled = await source.GetConfigAsync(ct);
        // Under the apply lock, like every message: the gate and the state are changed by one task at a time.
        await _applying.WaitAsync(ct);
        try
        {
            foreach (var announcement in chain.Announcements)
            {
                if (gate.TryFollowAnnouncement(Convert.FromBase64String(announcement), out var why))
                {
                    FollowSigningKey(state, gate, check, why + " (from the chain over HTTPS)");
                }
            }
            if (pulled.NodeId == state.NodeId && MeshStateCheck.ShouldTake(_current, pulled))
            {
                pulled = MeshFilterGuard.Settle(_current, pulled, out var refusal);
                if (refusal is not null)
                {
                    log.WriteLine(refusal);
                }
                SaveDesired(pulled);
                check.HeardNews();
                await ApplyLoggedAsync(state, pulled, "checked over HTTPS: the broker had not brought it", ct);
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    // The CA stays alive with the client: its certificate callback checks every connection against it.
    private static ServerApi DefaultSource(AgentState state) =>
        new(state.Server, state.CaPem is null ? null : X509Certificate2.CreateFromPem(state.CaPem), state.Credential);
}
