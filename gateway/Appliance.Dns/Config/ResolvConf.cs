using System.Net;

namespace Appliance.Dns.Config;

/// <summary>Reads the <c>nameserver</c> lines of a resolv.conf (resolv.conf(5)) as upstreams on port 53.</summary>
public static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";

    public static IReadOnlyList<IPEndPoint> ReadNameservers(string path = DefaultPath)
    {
        var result = new List<IPEndPoint>();
        foreach (var raw in File.ReadAllLines(path))
        {
            var f = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && f[0] == "nameserver" && IPAddress.TryParse(f[1].Split('%')[0], out var ip))
            {
                result.Add(new IPEndPoint(ip, 53));
            }
        }
        return result;
    }
}
