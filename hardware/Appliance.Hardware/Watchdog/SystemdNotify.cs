using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Hardware.Watchdog;

/// <summary>
/// sd_notify(3) without libsystemd: datagrams such as <c>READY=1</c> and <c>WATCHDOG=1</c> to the unix socket in
/// <c>$NOTIFY_SOCKET</c> (a path, or an abstract name starting with '@'). With <c>WatchdogSec=</c> in the unit,
/// systemd sets <c>$WATCHDOG_USEC</c> and restarts the service when no <c>WATCHDOG=1</c> comes in time.
/// </summary>
public sealed class SystemdNotify : IWatchdog
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;

    private SystemdNotify(Socket socket, UnixDomainSocketEndPoint endPoint, string description, TimeSpan timeout)
    {
        _socket = socket;
        _endPoint = endPoint;
        Description = description;
        Timeout = timeout;
    }

    public string Description { get; }

    /// <summary>systemd's <c>WatchdogSec=</c> (from <c>$WATCHDOG_USEC</c>), or 0 when the unit has none.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The notify socket from the environment, or null when not started by systemd with one.</summary>
    public static SystemdNotify? FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var path = env("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || path.Length > 107 || (path[0] != '/' && path[0] != '@'))
        {
            return null;
        }
        var timeout = TimeSpan.Zero;
        // WATCHDOG_PID, when set, names the process meant to send the pings.
        if (long.TryParse(env("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            && (env("WATCHDOG_PID") is not { Length: > 0 } pid || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        {
            timeout = TimeSpan.FromMicroseconds(usec);
        }
        // An abstract socket name is written with '@' and starts with a NUL byte on the wire.
        var endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        return new SystemdNotify(new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified), endPoint, "systemd (" + path + ")", timeout);
    }

    /// <summary>Sends one notification (<c>READY=1</c>, <c>STATUS=...</c>); throws <see cref="IOException"/> on failure.</summary>
    public void Send(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endPoint);
        }
        catch (SocketException e)
        {
            throw new IOException($"sd_notify to {Description} failed: {e.Message}", e);
        }
    }

    public void Feed() => Send("WATCHDOG=1");

    public void Dispose() => _socket.Dispose();
}
