using Appliance.Netlink.Route;
using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

/// <summary>
/// Throwaway network namespaces (unique names per test) joined by veth pairs, with wireguard-go run inside them.
/// Each namespace gets its own /run/wireguard via a bind mount in a private mount namespace (<c>ip netns exec</c>
/// unshares mounts), so UAPI sockets of parallel tests never collide. Everything is torn down on dispose.
/// </summary>
public sealed class NetnsLab : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<IDisposable> _owned = [];
    private readonly TempDirectory _dir;

    public NetnsLab()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireProgram("ip");
        Prerequisites.RequireProgram("wg");
        Prerequisites.RequireProgram("wireguard-go");
        // Only after the checks: a failed prerequisite throws from the constructor, and nothing would dispose the directory.
        _dir = new TempDirectory("apwg-netns");
        Prefix = "apwg" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
        Directory.CreateDirectory("/run/wireguard");
    }

    /// <summary>Unique 10-character prefix for namespace and interface names.</summary>
    public string Prefix { get; }

    public string Namespace(string suffix) => Prefix + suffix;

    public string NamespacePath(string ns) => "/run/netns/" + ns;

    public string SocketDirectory(string ns) => _dir.Combine("run-" + ns);

    public async Task<string> AddNamespaceAsync(string suffix)
    {
        var ns = Namespace(suffix);
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
        await Ip("-n", ns, "link", "set", "lo", "up");
        Directory.CreateDirectory(SocketDirectory(ns));
        return ns;
    }

    /// <summary>A veth pair between two namespaces with one IPv4 address on each end.</summary>
    public async Task VethAsync(string nsA, string ifA, string addrA, string nsB, string ifB, string addrB)
    {
        await Ip("link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        await Ip("-n", nsA, "addr", "add", addrA, "dev", ifA);
        await Ip("-n", nsB, "addr", "add", addrB, "dev", ifB);
        await Ip("-n", nsA, "link", "set", ifA, "up");
        await Ip("-n", nsB, "link", "set", ifB, "up");
    }

    public WireGuardGoOptions WireGuardGoOptions(string ns) => new()
    {
        SocketDirectory = SocketDirectory(ns),
        CommandPrefix = ["ip", "netns", "exec", ns, "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec \"$@\"", SocketDirectory(ns)],
    };

    /// <summary>A userspace backend for namespace <paramref name="ns"/> using our UAPI client, launcher and rtnetlink.</summary>
    public UserspaceWireGuardBackend UserspaceBackend(string ns, IUapiTransport? transport = null)
    {
        var route = RouteNetlinkClient.Open(NamespacePath(ns));
        _owned.Add(route);
        var backend = new UserspaceWireGuardBackend(
            transport ?? new UapiSocketTransport(SocketDirectory(ns)),
            new WireGuardGoLauncher(WireGuardGoOptions(ns)),
            route);
        _owned.Add(backend);
        return backend;
    }

    public RouteNetlinkClient Route(string ns)
    {
        var route = RouteNetlinkClient.Open(NamespacePath(ns));
        _owned.Add(route);
        return route;
    }

    /// <summary>Runs the official <c>wg</c> tool in the namespace, as an independent reader/writer.</summary>
    public async Task<string> WgAsync(string ns, params string[] args)
    {
        string[] full = ["netns", "exec", ns, "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec wg \"$@\"", SocketDirectory(ns), .. args];
        var r = await ProcessRunner.RunAsync("ip", full, timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess("wg " + string.Join(' ', args)).StdOut;
    }

    public async Task<ProcessResult> PingAsync(string ns, string destination, int count = 3)
    {
        return await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ping", "-n", "-q", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "1", "-w", "10", destination], timeout: TimeSpan.FromSeconds(20));
    }

    public static async Task Ip(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("ip " + string.Join(' ', args));

    public async ValueTask DisposeAsync()
    {
        // Backends own the launchers that kill only the wireguard-go processes they started.
        foreach (var d in Enumerable.Reverse(_owned))
        {
            try
            {
                d.Dispose();
            }
            catch (Exception)
            {
            }
        }
        foreach (var ns in _namespaces)
        {
            try
            {
                await ProcessRunner.RunAsync("ip", ["netns", "del", ns], timeout: TimeSpan.FromSeconds(20));
            }
            catch (Exception)
            {
            }
        }
        _dir.Dispose();
    }
}
