using Appliance.Agent.State;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Mesh;

/// <summary>
/// The gateway roles a node runs beside its mesh interface (forwarding, firewall, NAT, the DNS server for ext
/// clients). Applied after the interface so the rules can name it; removing leaves nothing of ours behind.
/// </summary>
public interface IGatewayRoles : IAsyncDisposable
{
    /// <summary>Brings the roles to what <paramref name="config"/> asks (no role: removes them). Idempotent.</summary>
    Task ApplyAsync(AgentState state, NodeConfigDto config, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Reads the firewall back and puts the last applied rules back when another program removed them (a firewall
    /// reload, a flushed ruleset); true when it had to. Does nothing on a node without roles.
    /// </summary>
    Task<bool> RepairAsync(CancellationToken ct);

    /// <summary>Removes every rule, setting and listener the roles added.</summary>
    Task RemoveAsync(AgentState state, CancellationToken ct);

    /// <summary>Queries the node's DNS server received since the agent started (for its status report); null when it serves none.</summary>
    long? DnsQueries => null;
}
