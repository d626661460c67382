using System.Net;
using Appliance.Dns.Wire;
using Appliance.Dns.Zone;

namespace Appliance.Dns.Config;

/// <summary>
/// Parses a hosts file as CoreDNS's <c>hosts</c> plugin reads it: <c>IP name [aliases...]</c>, IPv4 or IPv6,
/// <c>#</c> starts a comment. Unlike CoreDNS, a bad line is an error naming the line, not silently skipped.
/// </summary>
public static class HostsFileParser
{
    public static IReadOnlyList<DnsHostsEntry> Parse(string text, string source = "hosts")
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<DnsHostsEntry>();
        var lineNo = 0;
        Span<byte> scratch = stackalloc byte[DnsName.MaxLength];
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            // An IPv6 zone index (fe80::1%eth0) is accepted by CoreDNS and dropped; we do the same.
            var ipText = fields[0];
            var pct = ipText.IndexOf('%', StringComparison.Ordinal);
            if (pct > 0)
            {
                ipText = ipText[..pct];
            }
            if (!IPAddress.TryParse(ipText, out var ip) || ipText.Contains('/', StringComparison.Ordinal))
            {
                throw new DnsConfigException($"{source} line {lineNo}: '{fields[0]}' is not an IP address");
            }
            if (fields.Length < 2)
            {
                throw new DnsConfigException($"{source} line {lineNo}: address {fields[0]} has no name");
            }
            foreach (var name in fields.Skip(1))
            {
                if (!DnsName.TryEncode(name, scratch, out _, out var error))
                {
                    throw new DnsConfigException($"{source} line {lineNo}: invalid name '{name}': {error}");
                }
            }
            entries.Add(new DnsHostsEntry(ip, fields[1..], lineNo));
        }
        return entries;
    }
}
