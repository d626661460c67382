using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// A throwaway lab of network namespaces for end-to-end tests: a bridge namespace ("w") acting as the underlay
/// (172.30.99.0/24), the real server in one namespace, real agents (each with its own wireguard-go) in others.
/// Names carry a random prefix, so parallel runs never collide; everything is torn down on dispose.
/// </summary>
public sealed class MeshLab : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    public const string ServerIp = "172.30.99.1";

    /// <summary>The address of the test's own network namespace on the bridge, after <see cref="ConnectHostNamespaceAsync"/>.</summary>
    public const string HostIp = "172.30.99.254";

    private readonly List<string> _namespaces = [];
    private readonly List<LongRunningProcess> _others = [];
    private int _nextHost = 1;
    private string? _hostLink;

    public MeshLab(string name)
    {
        Prerequisites.RequireRoot();
        foreach (var tool in new[] { "ip", "wg", "wireguard-go", "ping" })
        {
            Prerequisites.RequireProgram(tool);
        }
        Dir = new TempDirectory("appliance-" + name);
        Prefix = "ap" + name[0] + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..5];
    }

    public TempDirectory Dir { get; }
    public string Prefix { get; }
    public Dictionary<string, LongRunningProcess> Agents { get; } = [];
    public LongRunningProcess? Server { get; private set; }
    /// <summary>Underlay address of each namespace on the bridge.</summary>
    public Dictionary<string, string> Underlay { get; } = [];

    public string Ns(string n) => Prefix + n;
    public string Iface(string n) => Prefix + n + "0";
    public string DataDir => Dir.Combine("server");

    /// <summary>The bridge namespace; call first.</summary>
    public async Task CreateUnderlayAsync()
    {
        await AddNamespaceAsync("w");
        await Ip("-n", Ns("w"), "link", "add", "br0", "type", "bridge");
        await Ip("-n", Ns("w"), "link", "set", "br0", "up");
    }

    /// <summary>
    /// Puts the test's own (the host's) network namespace on the bridge at <see cref="HostIp"/>, for services the test
    /// runs there itself (a broker cluster, server replicas) that the lab's agents must reach; call after
    /// <see cref="CreateUnderlayAsync"/> and before those services bind the address. The link is removed on dispose.
    /// </summary>
    public async Task ConnectHostNamespaceAsync()
    {
        var link = Prefix + "h";
        await Ip("link", "add", link, "type", "veth", "peer", "name", "vbhost", "netns", Ns("w"));
        _hostLink = link;
        await Ip("-n", Ns("w"), "link", "set", "vbhost", "master", "br0", "up");
        await Ip("addr", "add", HostIp + "/24", "dev", link);
        await Ip("link", "set", link, "up");
    }

    /// <summary>A namespace on the bridge with the next underlay address (the first one is the server's).</summary>
    public async Task<string> AddHostAsync(string n)
    {
        await AddNamespaceAsync(n);
        var address = $"172.30.99.{_nextHost++}";
        await Ip("link", "add", "ve0", "netns", Ns(n), "type", "veth", "peer", "name", "vb" + n, "netns", Ns("w"));
        await Ip("-n", Ns("w"), "link", "set", "vb" + n, "master", "br0", "up");
        await Ip("-n", Ns(n), "addr", "add", address + "/24", "dev", "ve0");
        await Ip("-n", Ns(n), "link", "set", "ve0", "up");
        Underlay[n] = address;
        return address;
    }

    public async Task AddNamespaceAsync(string n)
    {
        await Ip("netns", "add", Ns(n));
        _namespaces.Add(Ns(n));
        await Ip("-n", Ns(n), "link", "set", "lo", "up");
    }

    public static async Task Ip(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("ip " + string.Join(' ', args));

    public static Task<ProcessResult> InNs(string ns, params string[] args) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", ns, .. args], timeout: TimeSpan.FromSeconds(60));

    public Task<ProcessResult> In(string n, params string[] args) => InNs(Ns(n), args);

    public async Task StartServerAsync(string configJson = """{ "AddressHoldSeconds": 0 }""")
    {
        var config = Dir.Combine("server.json");
        await File.WriteAllTextAsync(config, configJson);
        Server = new LongRunningProcess("ip", ["netns", "exec", Ns("s"), "dotnet", Binaries.Server, "serve", "--data-dir", DataDir,
            "--urls", $"https://{ServerIp}:8443", "--mqtt-url", $"mqtts://{ServerIp}:8883", "--config", config]);
        await WaitForAsync("the server to answer", async () => (await Cli("network", "list", "--json")).ExitCode == 0, TimeSpan.FromSeconds(60), () => Server.Log);
    }

    public Task<ProcessResult> Cli(params string[] args) =>
        In("s", ["dotnet", Binaries.Server, .. args, "--server", $"https://{ServerIp}:8443", "--data-dir", DataDir]);

    /// <summary>An admin API call from inside the server's namespace: (HTTP status, body).</summary>
    public async Task<(int Status, string Body)> ApiAsync(string method, string path, string? body = null)
    {
        var token = (await File.ReadAllTextAsync(Path.Combine(DataDir, "admin.token"))).Trim();
        string[] args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--cacert", Path.Combine(DataDir, "ca.crt"),
            "-H", "Authorization: Bearer " + token, "-X", method, $"https://{ServerIp}:8443{path}"];
        if (body is not null)
        {
            args = [.. args, "-H", "Content-Type: application/json", "--data-binary", body];
        }
        var r = (await In("s", args)).EnsureSuccess($"curl {method} {path}");
        var output = r.StdOut.TrimEnd('\n');
        var split = output.LastIndexOf('\n');
        return (int.Parse(output.AsSpan(split + 1), System.Globalization.CultureInfo.InvariantCulture), split < 0 ? "" : output[..split]);
    }

    /// <summary>An admin API call that must succeed (2xx); returns the body parsed as <typeparamref name="T"/>.</summary>
    public async Task<T> ApiAsync<T>(string method, string path, object? body = null)
    {
        var (status, text) = await ApiAsync(method, path, body is null ? null : JsonSerializer.Serialize(body, Json));
        Assert.True(status is >= 200 and < 300, $"{method} {path} answered {status}: {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    public async Task JoinAsync(string n, string token, params string[] extra) =>
        (await In(n, ["dotnet", Binaries.Agent, "join", "--token", token, "--state-dir", Dir.Combine("state-" + n),
            "--hostname", n, "--interface", Iface(n), "--endpoint", Underlay[n], .. extra])).EnsureSuccess("join " + n);

    public void StartAgent(string n, params string[] extra) =>
        Agents[n] = new LongRunningProcess("ip", ["netns", "exec", Ns(n), "dotnet", Binaries.Agent, "run", "--state-dir", Dir.Combine("state-" + n),
            "--hosts-file", Dir.Combine("hosts-" + n), "--backend", "userspace", .. extra]);

    /// <summary>A helper process (tcpdump, a DNS client...) stopped with the lab.</summary>
    public LongRunningProcess Start(string n, params string[] args)
    {
        var p = new LongRunningProcess("ip", ["netns", "exec", Ns(n), .. args]);
        _others.Add(p);
        return p;
    }

    // Three echoes 200 ms apart, each given a second: one answer is enough. A single echo through two or three
    // wireguard-go processes is lost or late now and then on a loaded machine; a path that is closed stays closed.
    public async Task<bool> PingAsync(string from, string to) =>
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", Ns(from), "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", to], timeout: TimeSpan.FromSeconds(10))).ExitCode == 0;

    public async Task<string> WgDumpAsync(string n, string? iface = null) =>
        (await In(n, "wg", "show", iface ?? Iface(n), "dump")).EnsureSuccess("wg show " + n).StdOut;

    public async Task WaitForAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(300);
        }
        var logs = string.Join("\n", Agents.Select(a => $"--- agent {a.Key}:\n{a.Value.Log}"));
        Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}\n{diagnostics?.Invoke()}\n{logs}\n{await NetworkStateAsync()}");
    }

    /// <summary>
    /// Waits until each named agent has applied <paramref name="network"/>'s current version or a later one (the
    /// agent logs "applied vN (why): ..." once WireGuard and its firewall are both programmed), so what a test probes
    /// next is the change's effect, not the time the change takes to arrive.
    /// </summary>
    public async Task WaitForAppliedAsync(string network, TimeSpan timeout, params string[] agents)
    {
        var version = (await ApiAsync<NetworkDto>("GET", $"/api/v1/networks/{network}")).Version;
        await WaitForAsync($"v{version} of {network} to be applied by {string.Join(", ", agents)}",
            () => Task.FromResult(agents.All(n => AppliedAt(n, version) is not null)), timeout);
    }

    /// <summary>When agent <paramref name="n"/>'s first "applied vN" line with N ≥ <paramref name="version"/> was read (a Stopwatch timestamp), or null.</summary>
    public long? AppliedAt(string n, long version) => Agents[n].LineArrival(line => AppliedVersion(line) >= version);

    // "applied v12 (why): ..." → 12; any other line → -1.
    private static long AppliedVersion(string line)
    {
        const string Prefix = "applied v";
        var i = line.IndexOf(Prefix, StringComparison.Ordinal);
        if (i < 0)
        {
            return -1;
        }
        var digits = line.AsSpan(i + Prefix.Length);
        var end = digits.IndexOf(' ');
        return end > 0 && long.TryParse(digits[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1;
    }

    /// <summary>
    /// `wg-quick up` in the client's namespace. wg-quick hands the DNS line to resolvconf, which these machines lack:
    /// a stand-in writes it to the namespace's own resolv.conf (ip netns exec mounts /etc/netns/NS/resolv.conf).
    /// </summary>
    public async Task WgQuickUpAsync(string n, string conf)
    {
        Directory.CreateDirectory("/etc/netns/" + Ns(n));
        await File.WriteAllTextAsync($"/etc/netns/{Ns(n)}/resolv.conf", "");
        var bin = Dir.Combine("bin");
        Directory.CreateDirectory(bin);
        var resolvconf = Path.Combine(bin, "resolvconf");
        await File.WriteAllTextAsync(resolvconf, "#!/bin/sh\n# stand-in for resolvconf(8): -a IFACE reads the config on stdin\nif [ \"$1\" = -a ]; then cat > /etc/resolv.conf; fi\n");
        File.SetUnixFileMode(resolvconf, (UnixFileMode)0b111_101_101);
        var file = Dir.Combine(Prefix + "x.conf");
        await File.WriteAllTextAsync(file, conf);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await In(n, "env", $"PATH={bin}:/usr/sbin:/usr/bin:/sbin:/bin", "wg-quick", "up", file)).EnsureSuccess("wg-quick up");
    }

    /// <summary>WireGuard, addresses, routes and firewall of every agent's namespace, for failure messages.</summary>
    public async Task<string> NetworkStateAsync()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var n in Agents.Keys)
        {
            foreach (var cmd in new[] { new[] { "wg", "show", "all", "dump" }, ["ip", "-br", "addr"], ["ip", "route"], ["nft", "list", "ruleset"], ["iptables-legacy-save"],
                         ["sh", "-c", "for p in $(ip netns pids \"$(ip netns identify)\"); do echo \"$p $(tr '\\0' ' ' < /proc/$p/cmdline)\"; done"] })
            {
                var r = await In(n, cmd);
                sb.Append("--- ").Append(n).Append(": ").AppendJoin(' ', cmd).Append('\n').Append(r.StdOut).Append(r.StdErr).Append('\n');
            }
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _others.Concat(Agents.Values))
        {
            await p.DisposeAsync();
        }
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        foreach (var ns in _namespaces)
        {
            // Whatever still runs in a namespace this lab made (a wireguard-go that outlived its agent) was started by
            // the lab: stopped by pid, found through the namespace, never by a name another test could share.
            var left = await ProcessRunner.RunAsync("ip", "netns", "pids", ns);
            foreach (var pid in left.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await ProcessRunner.RunAsync("kill", pid);
            }
            await ProcessRunner.RunAsync("ip", "netns", "del", ns);
            if (_hostLink is not null && ns == Ns("w"))
            {
                // Deleting its peer's namespace deletes the pair; this only makes sure (an error means it is gone).
                await ProcessRunner.RunAsync("ip", "link", "del", _hostLink);
            }
            if (Directory.Exists("/etc/netns/" + ns))
            {
                Directory.Delete("/etc/netns/" + ns, recursive: true);
            }
        }
        Dir.Dispose();
    }
}
