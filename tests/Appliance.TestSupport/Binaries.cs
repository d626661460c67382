using System.Net;
using System.Net.Sockets;

namespace Appliance.TestSupport;

/// <summary>The built product binaries (same configuration as the running test), for tests that run them as processes.</summary>
public static class Binaries
{
    private static string Configuration =>
        AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Server => Find("server/Appliance.Server", "appliance-server.dll");

    public static string Agent => Find("agent-lite/Appliance.Agent", "appliance-agent.dll");

    private static string Find(string project, string dll)
    {
        var path = RepoPaths.Combine(project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built at {path}; build the solution first");
    }

    /// <summary>
    /// A TCP port free on loopback right now, for a program the test starts next to listen on. It is taken below the
    /// kernel's ephemeral range (net.ipv4.ip_local_port_range), so between this check and the program's bind no
    /// outgoing connection on the machine can be given it as its local port (a port from bind(0) is in that range).
    /// </summary>
    public static int FreeTcpPort() => FreePort(udpToo: false);

    /// <summary>A port free for both UDP and TCP on 127.0.0.1 a moment ago (DNS servers listen on both); below the ephemeral range like <see cref="FreeTcpPort"/>.</summary>
    public static int FreeUdpTcpPort() => FreePort(udpToo: true);

    // Listening ports of the tests: from 20000 up to the ephemeral range's start (32768 by default).
    private const int ListenLow = 20000;

    private static int FreePort(bool udpToo)
    {
        var high = EphemeralLow();
        for (var i = 0; i < 200; i++)
        {
            var port = Random.Shared.Next(ListenLow, high);
            if (IsFree(port, SocketType.Stream, ProtocolType.Tcp) && (!udpToo || IsFree(port, SocketType.Dgram, ProtocolType.Udp)))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free {(udpToo ? "UDP+TCP" : "TCP")} port on loopback in {ListenLow}-{high - 1}");
    }

    private static bool IsFree(int port, SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The first port the kernel hands out for bind(0) and outgoing connections; 32768 where it cannot be read.
    private static int EphemeralLow()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
            var low = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
            return low > ListenLow + 1000 ? low : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
