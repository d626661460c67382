using System.Net;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>The third-party DNS daemons the interop tests run on loopback (TestSupport's <see cref="DnsProcess"/>).</summary>
internal static class DnsDaemon
{
    /// <summary>dnsmasq serving <paramref name="hostsFile"/>, forwarding nothing unless <paramref name="extraArgs"/> says so.</summary>
    public static Task<DnsProcess> DnsmasqAsync(string dir, string hostsFile, params string[] extraArgs) =>
        DnsProcess.DnsmasqAsync(dir, Binaries.FreeUdpTcpPort(), hostsFile, extraArgs);

    /// <summary>unbound forwarding <paramref name="zone"/> to <paramref name="target"/>.</summary>
    public static async Task<DnsProcess> UnboundAsync(string dir, string zone, IPEndPoint target)
    {
        var port = Binaries.FreeUdpTcpPort();
        var conf = Path.Combine(dir, $"unbound-{port}.conf");
        await File.WriteAllTextAsync(conf, $"""
            server:
              interface: 127.0.0.1
              port: {port}
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{dir}"
              pidfile: ""
              use-syslog: no
              logfile: ""
              verbosity: 1
              do-not-query-localhost: no
              access-control: 127.0.0.0/8 allow
              module-config: "iterator"
              domain-insecure: "{zone}"
              local-zone: "{zone}." nodefault
            forward-zone:
              name: "{zone}"
              forward-addr: {target.Address}@{target.Port}
            """);
        return await DnsProcess.StartAsync("unbound", Prerequisites.RequireProgram("unbound"), ["-d", "-c", conf], port);
    }
}
