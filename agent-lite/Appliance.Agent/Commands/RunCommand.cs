using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Netlink.Route;
using Appliance.WireGuard;

namespace Appliance.Agent.Commands;

/// <summary>`appliance-agent run`: the daemon, in the foreground (systemd and procd supervise it), logging to stdout.</summary>
public static class RunCommand
{
    /// <param name="firewallCheck">How often a gateway's firewall rules are read back and repaired (zero: never).</param>
    /// <param name="stateCheckAfter">Connected time with nothing newer after which the state is checked over HTTPS.</param>
    /// <param name="display">The status display's bus and address (`--display i2c-1:0x3c`); null: none.</param>
    public static async Task<int> RunAsync(StateStore store, string hostsFile, string backendName, string? firewall, TimeSpan firewallCheck, CancellationToken ct, TimeSpan? stateCheckAfter = null, Appliance.Hardware.Display.DisplayAddress? display = null)
    {
        var kind = backendName switch
        {
            "auto" => WireGuardBackendKind.Auto,
            "kernel" => WireGuardBackendKind.Kernel,
            "userspace" => WireGuardBackendKind.Userspace,
            _ => throw new AgentException($"--backend must be auto, kernel or userspace, not '{backendName}'", 2),
        };
        // One daemon per state dir: two would take the MQTT session over from each other in a loop.
        using var instance = InstanceLock.Acquire(store.Directory);
        using var backend = WireGuardBackendSelector.Create(kind);
        using var route = RouteNetlinkClient.Open();
        Console.Out.WriteLine($"appliance-agent {JoinCommand.AgentVersion}: WireGuard backend {backend.Kind}, state in {store.Directory}");
        await using var roles = new Gateway.GatewayRoles(store.Directory, firewall, Console.Out);
        var daemon = new MeshDaemon(store, new MeshApplier(backend, route, hostsFile, roles), Console.Out)
        {
            StateCheckAfter = stateCheckAfter ?? MeshStateCheck.DefaultAfter,
            FirewallRepairInterval = firewallCheck,
        };
        var trace = Environment.GetEnvironmentVariable(Diagnostics.GcTrace.Variable);
        using var traceStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tracing = string.IsNullOrEmpty(trace) ? Task.CompletedTask : Diagnostics.GcTrace.RunAsync(Console.Out, TimeSpan.FromSeconds(30), trace == "collect", traceStop.Token);
        var trimming = Diagnostics.HeapTrim.RunAsync(Diagnostics.HeapTrim.DefaultInterval, TimeProvider.System, Diagnostics.HeapTrim.Collect, traceStop.Token);
        var statusDisplay = Hardware.DisplayHost.Start(display, store, daemon, backend, Console.Out, traceStop.Token);
        try
        {
            return await daemon.RunAsync(ct);
        }
        finally
        {
            await traceStop.CancelAsync();
            await tracing;
            await trimming;
            await statusDisplay.Running;
        }
    }
}
