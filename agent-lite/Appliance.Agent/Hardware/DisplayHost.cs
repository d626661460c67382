using System.Globalization;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Hardware;
using Appliance.Hardware.Display;
using Appliance.WireGuard;

namespace Appliance.Agent.Hardware;

/// <summary>
/// Runs the status display (`run --display i2c-1:0x3c`) beside the daemon: opens the bus, feeds
/// <see cref="StatusDisplay"/> the agent's status, and is the <see cref="IStatusPages"/> the status button drives.
/// A display that is not there is one log line; the agent goes on without it.
/// </summary>
public sealed class DisplayHost : IStatusPages
{
    /// <summary>The WireGuard device is read at most this often (a netlink dump), however often the display redraws.</summary>
    private static readonly TimeSpan DeviceReadInterval = TimeSpan.FromSeconds(5);

    private readonly StatusDisplay? _display;

    private DisplayHost(StatusDisplay? display, Task running)
    {
        _display = display;
        Running = running;
    }

    /// <summary>The display loop; completes when the token given to <see cref="Start"/> is cancelled (or at once without a display).</summary>
    public Task Running { get; }

    public void NextPage() => _display?.NextPage();

    /// <summary>
    /// Starts the display at <paramref name="address"/> (null: none configured), fed from the state, the daemon's
    /// applied config and broker link, and the WireGuard device's handshakes.
    /// </summary>
    public static DisplayHost Start(DisplayAddress? address, StateStore store, Mesh.MeshDaemon daemon, IWireGuardBackend backend, TextWriter log, CancellationToken ct)
    {
        if (address is null)
        {
            return new DisplayHost(null, Task.CompletedTask);
        }
        II2cBus bus;
        try
        {
            bus = LinuxI2cBus.Open(address);
        }
        catch (DisplayUnavailableException e)
        {
            log.WriteLine($"display: {e.Message}; running without it");
            return new DisplayHost(null, Task.CompletedTask);
        }
        var started = Environment.TickCount64;
        AgentState? state = null;
        WgDevice? device = null;
        var read = long.MinValue;
        var display = new StatusDisplay(bus, async c =>
        {
            if (Environment.TickCount64 - read >= DeviceReadInterval.TotalMilliseconds)
            {
                read = Environment.TickCount64;
                state = store.LoadState();
                device = state is null ? null : await TryReadDeviceAsync(backend, state.Interface, c).ConfigureAwait(false);
            }
            return Status(state, daemon.Current, device, daemon.BrokerConnected, DateTimeOffset.UtcNow, SystemUptime(), TimeSpan.FromMilliseconds(Environment.TickCount64 - started));
        }, log);
        return new DisplayHost(display, RunAsync(display, bus, ct));
    }

    /// <summary>What the display shows, from what the agent knows (pure).</summary>
    /// <param name="connected">The broker link: null while not tried yet.</param>
    internal static DisplayStatus Status(AgentState? state, NodeConfigDto? config, WgDevice? device, bool? connected, DateTimeOffset now, TimeSpan systemUptime, TimeSpan agentUptime)
    {
        if (state is null)
        {
            return new DisplayStatus(null, null, [], ServerLink.Unknown, 0, 0, null, null, systemUptime, agentUptime);
        }
        // Handshakes by key, not by text: any base64 spelling of a key finds its peer.
        var recent = new HashSet<WgKey>(device?.Peers.Where(p => p.LastHandshake is { } h && h > DateTimeOffset.UnixEpoch && now - h <= DisplayStatus.RecentHandshake).Select(p => p.PublicKey) ?? []);
        static int Active(IEnumerable<string> keys, HashSet<WgKey> recent) => keys.Count(k => WgKey.TryParse(k, out var key) && recent.Contains(key));
        var peers = config?.Peers ?? [];
        var clients = config?.Gateway?.Ingress?.Clients;
        return new DisplayStatus(
            state.Name, state.Network.Name, new[] { state.Ipv4Address, state.Ipv6Address }.OfType<string>().ToList(),
            connected switch { true => ServerLink.Connected, false => ServerLink.Unreachable, null => ServerLink.Unknown },
            Active(peers.Select(p => p.PublicKey), recent), peers.Count,
            clients is null ? null : Active(clients.Select(c => c.PublicKey), recent), clients?.Count,
            systemUptime, agentUptime);
    }

    private static async Task RunAsync(StatusDisplay display, II2cBus bus, CancellationToken ct)
    {
        using (bus)
        {
            await display.RunAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task<WgDevice?> TryReadDeviceAsync(IWireGuardBackend backend, string name, CancellationToken ct)
    {
        try
        {
            return await backend.GetDeviceAsync(name, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WireGuardException or Netlink.NetlinkException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            // Not up yet (or gone): no handshakes to count.
            return null;
        }
    }

    /// <summary>The first field of /proc/uptime: seconds since boot.</summary>
    private static TimeSpan SystemUptime()
    {
        try
        {
            var text = File.ReadAllText("/proc/uptime");
            var first = text.AsSpan(0, Math.Max(0, text.IndexOf(' ', StringComparison.Ordinal)));
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }
}
