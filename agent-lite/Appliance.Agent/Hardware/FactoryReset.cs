using Appliance.Agent.State;

namespace Appliance.Agent.Hardware;

/// <summary>
/// The button's factory reset: leave the mesh as `appliance-agent leave --force` does (deregister when the server is
/// reachable, remove the interface, routes, hosts entries, gateway rules, and state.json/desired.json), then run
/// the reset command: on a flashed image it re-arms <c>appliance-firstboot.service</c>, which waits for a new join
/// token in <c>appliance/token</c> on the APPLBOOT partition (the one used at the first boot was removed after the join).
/// </summary>
public static class FactoryReset
{
    public const string FirstBootUnit = "appliance-firstboot.service";

    /// <summary>The default reset command: re-enable and start the first-boot unit when it is installed, else nothing.</summary>
    public static IReadOnlyList<string>? DefaultCommand() =>
        File.Exists("/usr/lib/systemd/system/" + FirstBootUnit) || File.Exists("/lib/systemd/system/" + FirstBootUnit) || File.Exists("/etc/systemd/system/" + FirstBootUnit)
            ? ["/usr/bin/systemctl", "enable", "--now", "--no-block", FirstBootUnit]
            : null;

    public static async Task RunAsync(StateStore store, string hostsFile, IReadOnlyList<string>? command, TextWriter log, CancellationToken ct)
    {
        try
        {
            if (store.LoadState() is not null)
            {
                await Commands.LeaveCommand.RunAsync(store, hostsFile, force: true, log, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            log.WriteLine($"factory reset: leaving failed ({e.Message}); wiping the state anyway");
        }
        store.Delete();
        log.WriteLine($"factory reset: state in {store.Directory} wiped");
        if (command is null)
        {
            log.WriteLine("factory reset: no first-boot unit here; join again with appliance-agent join --token <token>");
            return;
        }
        try
        {
            var r = await ProcessRunnerLite.RunAsync(command, TimeSpan.FromSeconds(30), ct);
            log.WriteLine($"factory reset: {string.Join(' ', command)}: exit {r}");
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            log.WriteLine($"factory reset: {string.Join(' ', command)} failed: {e.Message}");
        }
    }
}
