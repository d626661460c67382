using System.Security.Cryptography.X509Certificates;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Netlink.Route;
using Appliance.WireGuard;

namespace Appliance.Agent.Commands;

/// <summary>
/// `appliance-agent leave`: deregisters from the server, then removes what the agent made here (gateway rules and
/// forwarding, the interface with its addresses and routes, the hosts block) and its state. With --force it cleans up locally even when the
/// server cannot be reached.
/// </summary>
public static class LeaveCommand
{
    public static async Task RunAsync(StateStore store, string hostsFile, bool force, TextWriter output, CancellationToken ct)
    {
        var state = store.LoadState() ?? throw new AgentException("not joined: nothing to leave");
        Diagnostics.SystemTrustStore.ForMembership(state);
        try
        {
            using var ca = state.CaPem is null ? null : X509Certificate2.CreateFromPem(state.CaPem);
            using var api = new ServerApi(state.Server, ca, state.Credential);
            await api.LeaveAsync(ct);
            output.WriteLine($"left network '{state.Network.Name}' (node {state.NodeId} removed from the server)");
        }
        catch (AgentException e) when (force)
        {
            output.WriteLine($"could not deregister ({e.Message}); cleaning up locally because of --force");
        }
        using (var backend = WireGuardBackendSelector.Create())
        using (var route = RouteNetlinkClient.Open())
        await using (var roles = new Gateway.GatewayRoles(store.Directory, null, output))
        {
            await new MeshApplier(backend, route, hostsFile, roles)
            {
                RelayForwarding = new Appliance.Gateway.Sysctl.ForwardingSysctl(new Appliance.Gateway.Sysctl.ProcSysctl(), Path.Combine(store.Directory, "relay-forwarding.state")),
            }.RemoveAsync(state, ct);
        }
        store.Delete();
        output.WriteLine($"removed interface {state.Interface}, its hosts entries and the state in {store.Directory}");
    }
}
