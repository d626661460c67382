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
    public static async Task<int> RunAsync(StateStore store, string hostsFile, string backendName, string? firewall, TimeSpan firewallCheck, CancellationToken ct, TimeSpan? stateCheckAfter = null,
        RunHardware? hardware = null, bool noRelay = false, bool noPunch = false, Appliance.Hardware.Display.DisplayAddress? display = null)
    {
        hardware ??= new RunHardware(new Hardware.HardwareConfig(), false, null);
        var kind = backendName switch
        {
            "auto" => WireGuardBackendKind.Auto,
            "kernel" => WireGuardBackendKind.Kernel,
            "userspace" => WireGuardBackendKind.Userspace,
            _ => throw new AgentException($"--backend must be auto, kernel or userspace, not '{backendName}'", 2),
        };
        // Before any thread allocates: one malloc arena instead of one per busy thread (MallocArenas says why).
        Diagnostics.MallocArenas.Limit();
        // No 2 MiB huge page behind a thread stack that used a few KiB (HugePages says why).
        Diagnostics.HugePages.DisableForProcess();
        // One daemon per state dir: two would take the MQTT session over from each other in a loop.
        using var instance = InstanceLock.Acquire(store.Directory);
        await using var hw = Hardware.AgentHardware.Open(hardware.Config, Console.Out, TimeProvider.System);
        using var resetRequested = new SemaphoreSlim(0, 1);
        hw.FactoryResetRequested += () => resetRequested.Release();
        hw.Update(t => (t.Joined, t.TokenPresent) = (store.LoadState() is not null, TokenPresent(hardware.TokenFile)));
        hw.Start();
        while (true)
        {
            if (store.LoadState() is null)
            {
                if (!hardware.WaitForJoin)
                {
                    throw new AgentException("not joined: run 'appliance-agent join --token <token>' first (or run --wait-for-join)");
                }
                await WaitForJoinAsync(store, hw, hardware.TokenFile, ct);
            }
            Diagnostics.SystemTrustStore.ForMembership(store.LoadState());
            using var reset = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watchReset = resetRequested.WaitAsync(reset.Token).ContinueWith(t => { if (t.IsCompletedSuccessfully) { reset.Cancel(); } }, TaskScheduler.Default);
            var rc = await RunJoinedAsync(store, hostsFile, kind, firewall, firewallCheck, stateCheckAfter, hw, noRelay, noPunch, display, reset.Token);
            if (ct.IsCancellationRequested)
            {
                return rc;
            }
            if (!reset.IsCancellationRequested)
            {
                return rc;
            }
            await watchReset;
            await Hardware.FactoryReset.RunAsync(store, hostsFile, hardware.Config.FactoryResetCommand ?? Hardware.FactoryReset.DefaultCommand(), Console.Out, ct);
            hw.Update(t => (t.Joined, t.LastApplyOk, t.BrokerUp, t.TokenPresent) = (false, null, false, TokenPresent(hardware.TokenFile)));
            if (!hardware.WaitForJoin)
            {
                return 0;
            }
        }
    }

    /// <summary>The hardware options of `run`: devices, whether to wait for a first-boot join, where its token lies.</summary>
    public sealed record RunHardware(Hardware.HardwareConfig Config, bool WaitForJoin, string? TokenFile);

    /// <summary>The APPLBOOT token file of a flashed image (appliance-firstboot joins with it and removes it).</summary>
    public const string DefaultTokenFile = "/boot/firmware/appliance/token";

    private static bool TokenPresent(string? tokenFile) => tokenFile is not null && new FileInfo(tokenFile) is { Exists: true, Length: > 0 };

    /// <summary>
    /// Not joined yet (a first boot, or after a factory reset): the LED says whether a token is there (enrolling) or
    /// not (waiting), the watchdog is fed, and the daemon starts once someone (appliance-firstboot) has joined.
    /// </summary>
    private static async Task WaitForJoinAsync(StateStore store, Hardware.AgentHardware hw, string? tokenFile, CancellationToken ct)
    {
        Console.Out.WriteLine($"not joined yet: waiting for {store.StatePath} (appliance-firstboot joins with the token in {tokenFile ?? DefaultTokenFile})");
        using var loop = hw.Health.Register("the join wait", TimeSpan.FromSeconds(60));
        while (store.LoadState() is null)
        {
            loop.CheckIn();
            hw.Update(t => (t.Joined, t.TokenPresent) = (false, TokenPresent(tokenFile)));
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        hw.Update(t => t.Joined = true);
    }

    private static async Task<int> RunJoinedAsync(StateStore store, string hostsFile, WireGuardBackendKind kind, string? firewall, TimeSpan firewallCheck, TimeSpan? stateCheckAfter,
        Hardware.AgentHardware hw, bool noRelay, bool noPunch, Appliance.Hardware.Display.DisplayAddress? display, CancellationToken ct)
    {
        using var backend = WireGuardBackendSelector.Create(kind);
        using var route = RouteNetlinkClient.Open();
        Console.Out.WriteLine($"appliance-agent {JoinCommand.AgentVersion}: WireGuard backend {backend.Kind}, state in {store.Directory}");
        await using var roles = new Gateway.GatewayRoles(store.Directory, firewall, Console.Out);
        var applier = new MeshApplier(backend, route, hostsFile, roles)
        {
            RelayForwarding = new Appliance.Gateway.Sysctl.ForwardingSysctl(new Appliance.Gateway.Sysctl.ProcSysctl(), Path.Combine(store.Directory, "relay-forwarding.state")),
        };
        var daemon = new MeshDaemon(store, applier, Console.Out)
        {
            Events = hw,
            Health = hw.Health,
            NoRelay = noRelay,
            NoPunch = noPunch,
            StateCheckAfter = stateCheckAfter ?? MeshStateCheck.DefaultAfter,
            FirewallRepairInterval = firewallCheck,
        };
        var trace = Environment.GetEnvironmentVariable(Diagnostics.GcTrace.Variable);
        using var traceStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tracing = string.IsNullOrEmpty(trace) ? Task.CompletedTask : Diagnostics.GcTrace.RunAsync(Console.Out, TimeSpan.FromSeconds(30), trace == "collect", traceStop.Token);
        var trimming = Diagnostics.HeapTrim.RunAsync(Diagnostics.HeapTrim.DefaultInterval, TimeProvider.System, Diagnostics.HeapTrim.Collect, traceStop.Token);
        var statusDisplay = Hardware.DisplayHost.Start(display, store, daemon, backend, Console.Out, traceStop.Token);
        // The button's short press turns the display's page (the LED's identify blink comes with it).
        hw.Pages = statusDisplay;
        try
        {
            return await daemon.RunAsync(ct);
        }
        finally
        {
            await traceStop.CancelAsync();
            await tracing;
            await trimming;
            hw.Pages = null;
            await statusDisplay.Running;
        }
    }
}
