namespace Appliance.WireGuard.Tests;

/// <summary>Parser for the <c>wg show dump</c> format.</summary>
public static class WgDumpReader
{
    public static (string PrivateKey, string PublicKey, int ListenPort, string FwMark, List<WgDumpPeer> Peers) Parse(string dump)
    {
        var lines = dump.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var d = lines[0].Split('\t');
        var peers = lines.Skip(1).Select(l => l.Split('\t')).Select(f => new WgDumpPeer(
            f[0], f[1], f[2], f[3], long.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture), long.Parse(f[6], System.Globalization.CultureInfo.InvariantCulture), f[7])).ToList();
        return (d[0], d[1], int.Parse(d[2], System.Globalization.CultureInfo.InvariantCulture), d[3], peers);
    }

    /// <summary>The allowed-IPs column as a sorted set for comparison.</summary>
    public static string Normalize(string allowedIps) =>
        allowedIps == "(none)" ? "" : string.Join(',', allowedIps.Split(',').Order(StringComparer.Ordinal));
}
