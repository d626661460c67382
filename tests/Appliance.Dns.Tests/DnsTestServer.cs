using System.Net;
using Appliance.Dns.Forwarding;
using Appliance.Dns.Server;
using Appliance.Dns.Zone;

namespace Appliance.Dns.Tests;

/// <summary>Our server in-process on 127.0.0.1 with a kernel-chosen port, with the mesh zone "mesh" used across the tests.</summary>
internal static class DnsTestServer
{
    public static readonly IPNetwork MeshV4 = IPNetwork.Parse("10.10.0.0/24");
    public static readonly IPNetwork MeshV6 = IPNetwork.Parse("fd10::/64");

    public static DnsMeshZone MeshZone(string? suffix = null, int manyA = 60) => new(
        "mesh",
        [
            new DnsHostEntry("node1", [IPAddress.Parse("10.10.0.1")]),
            new DnsHostEntry("node2", [IPAddress.Parse("10.10.0.2"), IPAddress.Parse("fd10::2")]),
            new DnsHostEntry("phone", [IPAddress.Parse("10.10.0.100")]),
            new DnsHostEntry("printer.office", [IPAddress.Parse("10.10.0.50")]),
            new DnsHostEntry("many", [.. Enumerable.Range(1, manyA).Select(i => IPAddress.Parse($"10.10.1.{i}"))]),
        ],
        [MeshV4, MeshV6],
        suffix);

    public static async Task<DnsServer> StartAsync(Action<DnsServerOptions>? configure = null, TimeProvider? time = null, IDnsUpstreamTransport? transport = null, IPAddress? address = null)
    {
        var o = new DnsServerOptions();
        o.Listen.Add(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        configure?.Invoke(o);
        var s = new DnsServer(o, time, transport);
        s.UpdateZone(MeshZone());
        await s.StartAsync();
        return s;
    }
}
