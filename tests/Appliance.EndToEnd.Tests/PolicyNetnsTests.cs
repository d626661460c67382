using System.Diagnostics;
using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// Access policies (issue #19) on real WireGuard with the real server and agents, once per firewall backend: nodes
/// tagged office, printer and iot. Under the policy office pings the printer and reaches its tcp:631, the printer
/// cannot open a connection to office, tcp:22 on the printer is closed to office, iot reaches nothing and is not even
/// a WireGuard peer of the printer; policy changes open and close paths within 2 s; an ext client behind a gateway
/// is held to the rule that covers its address; deleting the policy opens everything again.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class PolicyNetnsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ITestOutputHelper _output = output;

    // The issue's goal: a policy or tag change opens and closes paths within 2 s of its commit. Asserted on the
    // agents' apply (AppliedWithinAsync); the paths are then probed and their times printed (WithinAsync).
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PathBound = TimeSpan.FromSeconds(10);
    private MeshLab _lab = null!;
    private readonly List<LongRunningProcess> _listeners = [];

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("pol");
        foreach (var tool in new[] { "wg-quick", "nc", "nft", "iptables-legacy-save" })
        {
            Prerequisites.RequireProgram(tool);
        }
        await _lab.CreateUnderlayAsync();
        foreach (var n in new[] { "s", "office", "print", "iot", "gw", "c" })
        {
            await _lab.AddHostAsync(n);
        }
    }

    public static TheoryData<string> Backends => new() { "nftables", "iptables-legacy" };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Tagged_nodes_reach_only_what_the_policy_allows_and_changes_apply_within_two_seconds(string backend)
    {
        var lab = _lab;
        await lab.StartServerAsync();
        (await lab.Cli("network", "create", "mesh", "--ipv4", "10.78.0.0/24")).EnsureSuccess("network create");
        // office and the printer ("print": interface names are short) join with keys carrying their tags; iot and the
        // gateway get theirs from the admin.
        foreach (var (n, tag) in new[] { ("office", "office"), ("print", "printer"), ("iot", (string?)null), ("gw", null) })
        {
            string[] tagArgs = tag is null ? [] : ["--tag", tag];
            var key = JsonSerializer.Deserialize<EnrollmentKeyDto>((await lab.Cli(["key", "create", "--network", "mesh", "--json", .. tagArgs])).EnsureSuccess("key create").StdOut, MeshLab.Json)!;
            await lab.JoinAsync(n, key.Token!);
            lab.StartAgent(n, "--firewall", backend);
        }
        var nodes = (await lab.ApiAsync<List<NodeDto>>("GET", "/api/v1/networks/mesh/nodes")).ToDictionary(n => n.Name);
        (await lab.Cli("node", "update", nodes["iot"].Id, "--tag", "iot")).EnsureSuccess("node update --tag");
        (await lab.Cli("node", "update", nodes["gw"].Id, "--tag", "gateway")).EnsureSuccess("node update --tag");
        string Mesh(string n) => nodes[n].Ipv4Address!.Split('/')[0];

        // The gateway takes a routed ext client (its own address arrives at the printer).
        (await lab.Cli("node", "ingress", nodes["gw"].Id, "--no-nat")).EnsureSuccess("node ingress");
        var phone = JsonSerializer.Deserialize<ExtClientDto>((await lab.Cli("ext-client", "create", "mesh", "--gateway", "gw", "--name", "phone", "--json"))
            .EnsureSuccess("ext-client create").StdOut, MeshLab.Json)!;
        var phoneAddress = phone.Ipv4Address!.Split('/')[0];

        // Listeners: the printer's IPP and SSH ports, and a service on office the printer must not open.
        Listen("print", 631);
        Listen("print", 22);
        Listen("office", 8080);
        Listen("iot", 8080);

        // No policy yet: the full mesh, every path open.
        await lab.WaitForAsync("the full mesh", async () => await lab.PingAsync("office", Mesh("print")) && await lab.PingAsync("iot", Mesh("print")), TimeSpan.FromSeconds(40));
        await lab.WaitForAsync("printer to reach office:8080 without a policy", () => ConnectsAsync("print", Mesh("office"), 8080), TimeSpan.FromSeconds(10));

        var policy = lab.Dir.Combine("policy.json");
        await File.WriteAllTextAsync(policy, $$"""
            // office prints; the phone behind the gateway may print too; nothing else
            { "rules": [
                { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631", "icmp"] },
                { "from": ["{{phoneAddress}}/32"], "to": ["tag:printer"], "ports": ["tcp:631"] },
              ],
              "tests": [ { "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631", "icmp"], "deny": ["tcp:22"] },
                         { "from": "tag:printer", "to": "tag:office", "deny": ["*"] },
                         { "from": "tag:iot", "to": "tag:printer", "deny": ["*"] } ] }
            """);
        var test = await lab.Cli("policy", "test", "mesh", policy);
        Assert.True(test.ExitCode == 0, test.StdOut + test.StdErr);
        Assert.Contains("3 of 3 tests passed", test.StdOut, StringComparison.Ordinal);
        var before = await VersionAsync();
        (await lab.Cli("policy", "set", "mesh", policy)).EnsureSuccess("policy set");
        var committed = Stopwatch.GetTimestamp();
        await AppliedWithinAsync(committed, before, "the policy", "office", "print", "iot", "gw");

        // Closed paths close within the propagation goal, each timed from the commit; open ones stay open.
        await WithinAsync(committed,
            ("printer to lose office:8080", async () => !await ProbeConnectsAsync("print", Mesh("office"), 8080)),
            ("iot to lose the printer", async () => !await ProbePingAsync("iot", Mesh("print"))),
            ("office to lose printer:22", async () => !await ProbeConnectsAsync("office", Mesh("print"), 22)),
            ("iot to leave the printer's WireGuard peers", async () =>
                !(await lab.WgDumpAsync("print")).Contains(nodes["iot"].PublicKey, StringComparison.Ordinal) &&
                !(await lab.WgDumpAsync("iot")).Contains(nodes["print"].PublicKey, StringComparison.Ordinal)));
        Assert.Contains("office prints", (await lab.Cli("policy", "get", "mesh")).EnsureSuccess("policy get").StdOut, StringComparison.Ordinal);
        Assert.True(await lab.PingAsync("office", Mesh("print")), "office cannot ping the printer");
        Assert.True(await ConnectsAsync("office", Mesh("print"), 631), "office cannot reach printer:631");
        // Replies pass by state, but the printer opens nothing towards office; iot is no WireGuard peer of the printer.
        Assert.False(await ConnectsAsync("print", Mesh("office"), 8080), "the printer opened a connection to office");
        Assert.False(await ConnectsAsync("iot", Mesh("print"), 631), "iot reached printer:631");
        Assert.DoesNotContain(nodes["iot"].PublicKey, await lab.WgDumpAsync("print"), StringComparison.Ordinal);
        Assert.DoesNotContain(nodes["print"].PublicKey, await lab.WgDumpAsync("iot"), StringComparison.Ordinal);

        // The ext client is held to the rule that covers its address: printer:631 yes, printer:22 and office no.
        var conf = (await lab.Cli("ext-client", "config", phone.Id)).EnsureSuccess("ext-client config").StdOut;
        await lab.WgQuickUpAsync("c", conf);
        await lab.WaitForAsync("the ext client to reach printer:631 through the gateway", () => ConnectsAsync("c", Mesh("print"), 631), TimeSpan.FromSeconds(30));
        Assert.False(await ConnectsAsync("c", Mesh("print"), 22), "the ext client reached printer:22");
        Assert.False(await lab.PingAsync("c", Mesh("office")), "the ext client reached office");
        Assert.False(await lab.PingAsync("c", Mesh("print")), "the ext client pinged the printer (its rule has tcp:631 only)");

        // A change opens paths within 2 s: tcp:22 for office, and iot to the printer (a new peer on both sides).
        await File.WriteAllTextAsync(policy, $$"""
            { "rules": [
                { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631", "tcp:22", "icmp"] },
                { "from": ["tag:iot"], "to": ["tag:printer"], "ports": ["icmp"] },
                { "from": ["{{phoneAddress}}/32"], "to": ["tag:printer"], "ports": ["tcp:631"] } ] }
            """);
        before = await VersionAsync();
        (await lab.Cli("policy", "set", "mesh", policy)).EnsureSuccess("policy set (open)");
        committed = Stopwatch.GetTimestamp();
        await AppliedWithinAsync(committed, before, "the opening policy", "office", "print", "iot");
        await WithinAsync(committed,
            ("office to reach printer:22", () => ProbeConnectsAsync("office", Mesh("print"), 22)),
            ("iot to ping the printer", () => ProbePingAsync("iot", Mesh("print"))));
        Assert.False(await ConnectsAsync("iot", Mesh("print"), 631), "iot reached printer:631 (its rule has icmp only)");

        // ...and a tag change closes them within 2 s: iot loses its tag, so its rule no longer covers it.
        before = await VersionAsync();
        (await lab.Cli("node", "update", nodes["iot"].Id, "--tag", "quarantine")).EnsureSuccess("node update --tag quarantine");
        committed = Stopwatch.GetTimestamp();
        await AppliedWithinAsync(committed, before, "the tag change", "print", "iot");
        await WithinAsync(committed, ("iot to lose the printer after its tag changed", async () => !await ProbePingAsync("iot", Mesh("print"))));

        // A refused document leaves the policy in force.
        await File.WriteAllTextAsync(policy, """{ "rules": [ { "from": ["tag:nobody"], "to": ["*"], "ports": ["*"] } ] }""");
        var refused = await lab.Cli("policy", "set", "mesh", policy);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("line 1: unknown tag \"tag:nobody\"", refused.StdErr, StringComparison.Ordinal);
        Assert.True(await ConnectsAsync("office", Mesh("print"), 22), "a refused policy changed what is allowed");

        // Deleting the policy opens everything again.
        before = await VersionAsync();
        (await lab.Cli("policy", "delete", "mesh")).EnsureSuccess("policy delete");
        committed = Stopwatch.GetTimestamp();
        await AppliedWithinAsync(committed, before, "the policy's removal", "office", "print");
        await WithinAsync(committed, ("printer to reach office:8080 with no policy", () => ProbeConnectsAsync("print", Mesh("office"), 8080)));
        await lab.WaitForAsync("iot to reach the printer with no policy", () => lab.PingAsync("iot", Mesh("print")), TimeSpan.FromSeconds(10));
    }

    // The network's version before a change: the change's own version is any later one (versions only grow, and a
    // later one includes the change), so nothing has to be asked of the server between the commit and the agents.
    private async Task<long> VersionAsync() => (await _lab.ApiAsync<NetworkDto>("GET", "/api/v1/networks/mesh")).Version;

    // The 2 s goal, asserted where the path changes: from the change's commit (the CLI's return) until each named
    // agent has applied a version newer than <before> (WireGuard peers and the access-policy firewall both programmed;
    // the agent logs "applied vN" after both). Each agent's time is when that log line was read from its output, not
    // when this loop looked, so a loaded machine adds nothing to the measured time but what the server and agents
    // themselves take. The loop gives up after PathBound; the assertion is on the goal.
    private async Task AppliedWithinAsync(long committed, long before, string change, params string[] agents)
    {
        var seen = new Dictionary<string, TimeSpan>();
        while (true)
        {
            foreach (var n in agents.Where(n => !seen.ContainsKey(n)))
            {
                if (_lab.AppliedAt(n, before + 1) is { } at)
                {
                    seen[n] = Stopwatch.GetElapsedTime(committed, at);
                }
            }
            if (seen.Count == agents.Length || Stopwatch.GetElapsedTime(committed) > PathBound)
            {
                break;
            }
            await Task.Delay(10);
        }
        _output.WriteLine($"{change} (after v{before}) applied: " +
            string.Join(", ", agents.Select(n => seen.TryGetValue(n, out var t)
                ? t < TimeSpan.Zero ? $"{n} before the CLI had returned" : $"{n} {t.TotalMilliseconds:F0} ms"
                : $"{n} not yet")));
        var late = agents.Where(n => !seen.TryGetValue(n, out var t) || t > Goal).ToList();
        if (late.Count > 0)
        {
            // What each late agent was doing: its last lines (the update's arrival, the steps of its apply).
            var tails = string.Join("\n", late.Select(n => $"--- {n}: agent log, last lines\n" +
                string.Join("\n", _lab.Agents[n].Log.Split('\n').TakeLast(15))));
            Assert.Fail($"{change}: a version after v{before} not applied within {Goal.TotalSeconds} s of the commit by {string.Join(", ", late)}\n{tails}\n{await _lab.NetworkStateAsync()}");
        }
    }

    // Then the paths themselves, probed side by side and timed from the same commit (short probes: a 300 ms connect
    // or ping timeout, polled every 50 ms). Each time is printed against the goal; the bound here is PathBound, as
    // spawning a probe in a namespace is itself slow when the machine is loaded.
    private async Task WithinAsync(long committed, params (string What, Func<Task<bool>> Condition)[] steps)
    {
        var seen = await Task.WhenAll(steps.Select(async step =>
        {
            while (!await step.Condition())
            {
                if (Stopwatch.GetElapsedTime(committed) > PathBound)
                {
                    return (step.What, Elapsed: (TimeSpan?)null);
                }
                await Task.Delay(50);
            }
            return (step.What, Elapsed: (TimeSpan?)Stopwatch.GetElapsedTime(committed));
        }));
        foreach (var (what, elapsed) in seen)
        {
            _output.WriteLine($"  {what}: " + (elapsed is { } e ? $"{e.TotalMilliseconds:F0} ms after the commit{(e > Goal ? " (probe over 2 s)" : "")}" : "not seen"));
        }
        var late = seen.Where(s => s.Elapsed is null).Select(s => s.What).ToList();
        if (late.Count > 0)
        {
            Assert.Fail($"not within {PathBound.TotalSeconds} s of the commit: {string.Join(", ", late)}\n{await _lab.NetworkStateAsync()}");
        }
    }

    private void Listen(string n, int port) => _listeners.Add(_lab.Start(n, "nc", "-lk", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    // A TCP connection opened within a second (a dropped SYN times out; a refused one fails at once).
    private async Task<bool> ConnectsAsync(string from, string to, int port) =>
        (await _lab.In(from, "nc", "-z", "-w", "1", to, port.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode == 0;

    // The same, for timed steps: a connection opened within 300 ms (timeout(1) ends nc's wait for a dropped SYN).
    private async Task<bool> ProbeConnectsAsync(string from, string to, int port) =>
        (await _lab.In(from, "timeout", "0.3", "nc", "-z", to, port.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode == 0;

    // A ping answered within 300 ms.
    private async Task<bool> ProbePingAsync(string from, string to) =>
        (await _lab.In(from, "ping", "-n", "-q", "-c", "1", "-W", "0.3", to)).ExitCode == 0;

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
