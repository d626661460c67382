using System.Globalization;
using System.Net;
using Appliance.Dns.Config;

namespace Appliance.Dns.Cli;

/// <summary>The command line: CoreDNS style (<c>-conf Corefile [-dns.port N]</c>) or explicit flags.</summary>
internal sealed record CliOptions
{
    public const string Usage = """
        usage: appliance-dns -conf COREFILE [-dns.port N]
               appliance-dns --listen IP:PORT [--listen ...] [--hosts FILE] [--zone ZONE]
                             [--upstream IP[:PORT] ...] [--allow CIDR ...] [--reload 5s] [--cache-ttl S] [--log]
          (both forms)       [--udp-batch N]
          --zone      answer NXDOMAIN (with SOA) for names under ZONE missing from the hosts file (hosts without fallthrough)
          --upstream  default: the nameservers of /etc/resolv.conf
          --udp-batch datagrams taken per receive call (recvmmsg), default 16; 1 = one recvfrom per query
          --allow     sources allowed to ask; default: loopback, 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
        """;

    public string? Corefile { get; init; }

    public int? PortOverride { get; init; }

    public List<IPEndPoint> Listen { get; } = [];

    public string? Hosts { get; init; }

    public List<string> Zones { get; } = [];

    public List<IPEndPoint> Upstreams { get; } = [];

    public List<IPNetwork> Allow { get; } = [];

    public TimeSpan Reload { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan? CacheTtl { get; init; }

    public bool Log { get; init; }

    public int? UdpBatch { get; init; }

    public static CliOptions Parse(string[] args)
    {
        var o = new CliOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new DnsConfigException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "-conf" or "--conf":
                    o = o with { Corefile = Value() };
                    break;
                case "-dns.port":
                    o = o with { PortOverride = int.Parse(Value(), CultureInfo.InvariantCulture) };
                    break;
                case "--listen":
                    var l = Value();
                    o.Listen.Add(IPEndPoint.TryParse(l, out var ep) ? ep : throw new DnsConfigException($"--listen: '{l}' is not IP:PORT"));
                    break;
                case "--hosts":
                    o = o with { Hosts = Value() };
                    break;
                case "--zone":
                    o.Zones.Add(Value());
                    break;
                case "--upstream":
                    var u = Value();
                    o.Upstreams.Add(IPAddress.TryParse(u, out var ip) ? new IPEndPoint(ip, 53)
                        : IPEndPoint.TryParse(u, out var uep) ? uep : throw new DnsConfigException($"--upstream: '{u}' is not IP[:PORT]"));
                    break;
                case "--allow":
                    var a = Value();
                    o.Allow.Add(IPNetwork.TryParse(a, out var net) ? net : throw new DnsConfigException($"--allow: '{a}' is not a CIDR range"));
                    break;
                case "--reload":
                    o = o with { Reload = TimeSpan.FromSeconds(double.Parse(Value().TrimEnd('s'), CultureInfo.InvariantCulture)) };
                    break;
                case "--cache-ttl":
                    o = o with { CacheTtl = TimeSpan.FromSeconds(int.Parse(Value(), CultureInfo.InvariantCulture)) };
                    break;
                case "--udp-batch":
                    var b = Value();
                    o = o with { UdpBatch = int.TryParse(b, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1024 ? n : throw new DnsConfigException($"--udp-batch: '{b}' is not a number from 1 to 1024") };
                    break;
                case "--log":
                    o = o with { Log = true };
                    break;
                default:
                    throw new DnsConfigException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }
        if (o.Corefile is null && o.Listen.Count == 0)
        {
            throw new DnsConfigException($"give -conf COREFILE or at least one --listen\n{Usage}");
        }
        return o;
    }
}
