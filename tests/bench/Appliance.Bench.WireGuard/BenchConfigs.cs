using System.Globalization;
using System.Net;
using System.Text;
using Appliance.Contracts;
using Appliance.WireGuard;

namespace Appliance.Bench.WireGuard;

/// <summary>Deterministic peer sets for the benchmarks, and their <c>wg setconf</c> file form.</summary>
public static class BenchConfigs
{
    public static WgDeviceConfig Make(int peers, int seed, WgKey privateKey)
    {
        var rng = new Random(seed);
        var key = new byte[32];
        return new WgDeviceConfig(privateKey)
        {
            ListenPort = 40000 + seed,
            Peers = [.. Enumerable.Range(0, peers).Select(i =>
            {
                rng.NextBytes(key);
                return new WgPeerConfig(new WgKey(key))
                {
                    Endpoint = new IPEndPoint(new IPAddress([192, 0, (byte)(2 + (i >> 8)), (byte)i]), 51820),
                    PersistentKeepalive = 25,
                    AllowedIPs = [new IPNetwork(new IPAddress([10, (byte)seed, (byte)(i >> 8), (byte)i]), 32)],
                };
            })],
        };
    }

    public static string ToWgConf(WgDeviceConfig c)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[Interface]\nPrivateKey = {c.PrivateKey}\nListenPort = {c.ListenPort}\n");
        foreach (var p in c.Peers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n[Peer]\nPublicKey = {p.PublicKey}\nEndpoint = {p.Endpoint}\nPersistentKeepalive = {p.PersistentKeepalive}\nAllowedIPs = {string.Join(", ", p.AllowedIPs)}\n");
        }
        return sb.ToString();
    }
}
