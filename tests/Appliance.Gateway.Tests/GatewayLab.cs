using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Gateway.Commands;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// Throwaway network namespaces (random-prefixed names) joined by veth pairs, for real-kernel firewall tests.
/// The mesh interface is simulated by a veth end named like the WireGuard interface. nft and iptables state is
/// per namespace, so nothing here touches the host's firewall; everything is deleted on dispose.
/// </summary>
public sealed class GatewayLab : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];

    public GatewayLab()
    {
        Prerequisites.RequireRoot();
        foreach (var p in new[] { "ip", "ping", "nft", "iptables-legacy", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore", "sysctl" })
        {
            Prerequisites.RequireProgram(p);
        }
        Prefix = "apgw" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
    }

    public string Prefix { get; }

    public async Task<string> AddNamespaceAsync(string suffix)
    {
        var ns = Prefix + suffix;
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
        await Ip("-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>A veth pair: <paramref name="ifA"/> in <paramref name="nsA"/>, <paramref name="ifB"/> in <paramref name="nsB"/>, each with an address.</summary>
    public static async Task VethAsync(string nsA, string ifA, string addrA, string nsB, string ifB, string addrB)
    {
        await Ip("link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        await Ip("-n", nsA, "addr", "add", addrA, "dev", ifA);
        await Ip("-n", nsB, "addr", "add", addrB, "dev", ifB);
        await Ip("-n", nsA, "link", "set", ifA, "up");
        await Ip("-n", nsB, "link", "set", ifB, "up");
    }

    /// <summary>A runner whose every command runs inside <paramref name="ns"/>.</summary>
    public static ProcessCommandRunner Runner(string ns) => new(["ip", "netns", "exec", ns]);

    public static async Task<string> ExecAsync(string ns, params string[] args)
    {
        var r = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, .. args], timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess(string.Join(' ', args)).StdOut;
    }

    /// <summary>Whether <paramref name="ns"/> gets an echo reply from <paramref name="destination"/> (optionally from a chosen source).</summary>
    public static async Task<bool> PingsAsync(string ns, string destination, string? source = null)
    {
        List<string> args = ["netns", "exec", ns, "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1", "-w", "3"];
        if (source is not null)
        {
            args.AddRange(["-I", source]);
        }
        args.Add(destination);
        var r = await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20));
        return r.ExitCode == 0;
    }

    /// <summary>Counts echo requests arriving in <paramref name="ns"/> per source address, with an nft table of the LAN host's own.</summary>
    public static async Task CountEchoSourcesAsync(string ns, params string[] sources)
    {
        var rules = string.Concat(sources.Select(s => $"\t\tip saddr {s} icmp type echo-request counter comment \"from {s}\"\n"));
        var file = $"table inet probe {{\n\tchain input {{\n\t\ttype filter hook input priority 0; policy accept;\n{rules}\t}}\n}}\n";
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], stdin: file, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("nft probe");
    }

    public static async Task<long> EchoCountAsync(string ns, string source)
    {
        var text = await ExecAsync(ns, "nft", "list", "table", "inet", "probe");
        var m = Regex.Match(text, $@"ip saddr {Regex.Escape(source)} icmp type echo-request counter packets (\d+) bytes \d+ comment ""from {Regex.Escape(source)}""");
        Assert.True(m.Success, "probe counter not found in:\n" + text);
        return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public static async Task Ip(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("ip " + string.Join(' ', args));

    public async ValueTask DisposeAsync()
    {
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
    }
}
