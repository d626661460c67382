using System.Globalization;
using System.Net;

namespace Appliance.Dns.Config;

/// <summary>
/// Parses the subset of the Corefile syntax a Netmaker-style CoreDNS uses, e.g.
/// <code>mesh:53 { hosts /etc/netmaker/hosts { fallthrough } forward . 1.1.1.1 8.8.8.8 reload 15s log cache 30 }</code>
/// Directives may share a line (as above) or sit one per line. Anything else is an error naming its line.
/// </summary>
public static class CorefileParser
{
    private static readonly string[] Supported = ["bind", "hosts", "forward", "cache", "reload", "log", "errors"];

    public static DnsCorefile Parse(string text, string source = "Corefile", Func<string, IReadOnlyList<IPEndPoint>>? readResolvConf = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = new Tokens(Tokenize(text), source);
        var keys = new List<string>();
        while (!t.AtEnd && t.Peek != "{")
        {
            keys.Add(t.Next());
        }
        if (keys.Count == 0)
        {
            throw t.Error("expected a server block such as '. {' or 'mesh:53 {'");
        }
        t.Expect("{");
        var zones = new List<string>();
        var port = -1;
        foreach (var key in keys)
        {
            var (zone, p) = ParseKey(key, t);
            if (port >= 0 && p != port)
            {
                throw t.Error($"server block keys use different ports ({port} and {p})");
            }
            port = p;
            zones.Add(zone);
        }
        var cf = new DnsCorefile { Zones = zones, Port = port };
        var reloadSet = false;
        while (!t.AtEnd && t.Peek != "}")
        {
            var line = t.Line;
            var d = t.Next();
            switch (d)
            {
                case "bind":
                    cf = cf with { Bind = [.. t.Args(line).Select(a => IPAddress.TryParse(a, out var ip) ? ip : throw t.Error($"bind: '{a}' is not an IP address", line))] };
                    break;
                case "hosts":
                    cf = ParseHosts(cf, t, line, ref reloadSet);
                    break;
                case "forward":
                    var args = t.Args(line);
                    if (args.Count < 2 || args[0] != ".")
                    {
                        throw t.Error("forward: expected 'forward . UPSTREAM...' (only '.' is supported as FROM)", line);
                    }
                    cf = cf with { Upstreams = [.. args.Skip(1).SelectMany(a => ParseUpstream(a, t, line, readResolvConf))] };
                    RejectBlock(t, "forward");
                    break;
                case "cache":
                    var c = t.Args(line);
                    cf = cf with { CacheEnabled = true, CacheTtl = c.Count switch { 0 => null, 1 => TimeSpan.FromSeconds(Seconds(c[0], t, line, "cache")), _ => throw t.Error("cache: expected at most one TTL", line) } };
                    RejectBlock(t, "cache");
                    break;
                case "reload":
                    var r = t.Args(line);
                    if (r.Count > 2)
                    {
                        throw t.Error("reload: expected 'reload [INTERVAL] [JITTER]'", line);
                    }
                    if (!reloadSet)
                    {
                        cf = cf with { HostsReload = r.Count > 0 ? Duration(r[0], t, line, "reload") : TimeSpan.FromSeconds(30) };
                    }
                    break;
                case "log":
                    t.Args(line);
                    cf = cf with { Log = true };
                    break;
                case "errors":
                    t.Args(line);
                    break;
                case "{" or "}":
                    throw t.Error($"unexpected '{d}'", line);
                default:
                    throw t.Error($"unknown directive '{d}' (supported: {string.Join(", ", Supported)})", line);
            }
        }
        t.Expect("}");
        if (!t.AtEnd)
        {
            throw t.Error($"only one server block is supported; found '{t.Peek}' after it");
        }
        return cf;
    }

    private static DnsCorefile ParseHosts(DnsCorefile cf, Tokens t, int line, ref bool reloadSet)
    {
        var args = t.Args(line);
        if (args.Count > 1 && args.Skip(1).Any(z => z != "."))
        {
            // hosts FILE [ZONES...]: zones narrower than the block are not supported.
            throw t.Error("hosts: zones after the file are not supported", line);
        }
        cf = cf with { HostsFile = args.Count > 0 ? args[0] : "/etc/hosts" };
        if (t.AtEnd || t.Peek != "{")
        {
            return cf;
        }
        t.Expect("{");
        while (!t.AtEnd && t.Peek != "}")
        {
            var l = t.Line;
            var sub = t.Next();
            var a = t.Args(l);
            switch (sub)
            {
                case "fallthrough":
                    cf = cf with { HostsFallthrough = true };
                    break;
                case "ttl" when a.Count == 1:
                    cf = cf with { HostsTtl = (uint)Seconds(a[0], t, l, "hosts ttl") };
                    break;
                case "no_reverse":
                    cf = cf with { HostsReverse = false };
                    break;
                case "reload" when a.Count == 1:
                    cf = cf with { HostsReload = Duration(a[0], t, l, "hosts reload") };
                    reloadSet = true;
                    break;
                default:
                    throw t.Error($"hosts: unknown or malformed option '{sub}' (supported: fallthrough, ttl N, no_reverse, reload DURATION)", l);
            }
        }
        t.Expect("}");
        return cf;
    }

    private static void RejectBlock(Tokens t, string directive)
    {
        if (!t.AtEnd && t.Peek == "{")
        {
            throw t.Error($"{directive}: option blocks are not supported");
        }
    }

    private static (string Zone, int Port) ParseKey(string key, Tokens t)
    {
        var k = key;
        foreach (var scheme in new[] { "dns://" })
        {
            if (k.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                k = k[scheme.Length..];
            }
        }
        if (k.Contains("://", StringComparison.Ordinal))
        {
            throw t.Error($"server block '{key}': only plain DNS (dns://) is supported");
        }
        var port = 53;
        var colon = k.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(k[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw t.Error($"server block '{key}': bad port");
            }
            k = k[..colon];
        }
        return (k.Length == 0 || k == "." ? "." : Zone.DnsNameText.Normalize(k), port);
    }

    private static IEnumerable<IPEndPoint> ParseUpstream(string a, Tokens t, int line, Func<string, IReadOnlyList<IPEndPoint>>? readResolvConf)
    {
        if (a.StartsWith('/'))
        {
            try
            {
                return (readResolvConf ?? (p => ResolvConf.ReadNameservers(p)))(a);
            }
            catch (IOException e)
            {
                throw t.Error($"forward: cannot read {a}: {e.Message}", line);
            }
        }
        var s = a.StartsWith("dns://", StringComparison.OrdinalIgnoreCase) ? a[6..] : a;
        if (s.Contains("://", StringComparison.Ordinal))
        {
            throw t.Error($"forward: '{a}': only plain DNS upstreams are supported", line);
        }
        if (IPAddress.TryParse(s, out var ip) && !s.StartsWith('['))
        {
            return [new IPEndPoint(ip, 53)];
        }
        if (IPEndPoint.TryParse(s, out var ep) && ep.Port != 0)
        {
            return [ep];
        }
        throw t.Error($"forward: '{a}' is not an IP address or IP:PORT", line);
    }

    private static int Seconds(string s, Tokens t, int line, string what) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw t.Error($"{what}: '{s}' is not a number of seconds", line);

    private static TimeSpan Duration(string s, Tokens t, int line, string what)
    {
        // Go durations as CoreDNS writes them: 15s, 1m, 500ms, 1h.
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, mult) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(s[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v)
                && !(suffix == "s" && s.EndsWith("ms", StringComparison.Ordinal)))
            {
                return v > 0 ? TimeSpan.FromSeconds(v * mult) : throw t.Error($"{what}: duration must be positive", line);
            }
        }
        throw t.Error($"{what}: '{s}' is not a duration such as 15s or 1m", line);
    }

    private static List<(string Text, int Line)> Tokenize(string text)
    {
        var tokens = new List<(string, int)>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = hash >= 0 ? raw[..hash] : raw;
            foreach (var w in line.Replace("{", " { ", StringComparison.Ordinal).Replace("}", " } ", StringComparison.Ordinal)
                .Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                tokens.Add((w, lineNo));
            }
        }
        return tokens;
    }

    private sealed class Tokens(List<(string Text, int Line)> items, string source)
    {
        private int _i;

        public bool AtEnd => _i >= items.Count;

        public string Peek => items[_i].Text;

        public int Line => AtEnd ? (items.Count > 0 ? items[^1].Line : 1) : items[_i].Line;

        public string Next() => items[_i++].Text;

        public void Expect(string s)
        {
            if (AtEnd || Peek != s)
            {
                throw Error(AtEnd ? $"expected '{s}' but the file ended" : $"expected '{s}' but found '{Peek}'");
            }
            _i++;
        }

        /// <summary>Arguments of a directive: the tokens that follow it, up to the next known directive, brace, or (when on its own line) the line end.</summary>
        public List<string> Args(int line)
        {
            var args = new List<string>();
            while (!AtEnd && Peek is not ("{" or "}") && !Supported.Contains(Peek) && !IsHostsOption(Peek) && items[_i].Line == line)
            {
                args.Add(Next());
            }
            return args;
        }

        public DnsConfigException Error(string message, int? line = null) => new($"{source} line {line ?? Line}: {message}");

        private static bool IsHostsOption(string s) => s is "fallthrough" or "no_reverse" or "ttl";
    }
}
