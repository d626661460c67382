using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Appliance.Bench.Gateway;
using Appliance.Gateway;
using Appliance.Gateway.Commands;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.Gateway.Sysctl;

// Usage (root): Appliance.Bench.Gateway [runs]
// In a throwaway network namespace, for nftables and iptables-legacy: reconcile a gateway with 1000 ext clients
// and 20 egress ranges from empty, then change one client; side by side with the plain tool (nft -f FILE /
// iptables-restore --noflush < FILE) loading the same rendered input alone. One JSON line per figure (medians).
// Appliance.Bench.Gateway policy [runs]: a node's 200-rule access-policy filter (issue #19), see PolicyBench.
if (args.Length > 0 && args[0] == "policy")
{
    return await PolicyBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9);
}
if (args.Length > 0 && args[0] == "render")
{
    // Pure CPU part only, no root: mean CPU time per iteration over many iterations after warm-up (single-threaded).
    var spec = LargeGateway.Spec();
    for (var i = 0; i < 50; i++)
    {
        NftRulesetRenderer.Render(GatewayFirewallPlan.Create(spec));
    }
    foreach (var (name, action) in new (string, Action)[]
    {
        ("validate-1000-clients", () => GatewayFirewallPlan.Create(spec)),
        ("validate-and-render-nft-1000-clients", () => NftRulesetRenderer.Render(GatewayFirewallPlan.Create(spec))),
        ("validate-and-render-iptables-v4-1000-clients", () => IptablesRestoreRenderer.Render(GatewayFirewallPlan.Create(spec), AddressFamily.InterNetwork, IptablesSaveState.Empty)),
    })
    {
        // CPU time, not wall time: on a loaded machine the wall clock mostly measures waiting for a core.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < 200; i++)
        {
            action();
        }
        Console.WriteLine(Json(name, "cpu", (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / 200, null, 200));
    }
    return 0;
}
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
var ns = "apgwbench" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..4];
var dir = Directory.CreateTempSubdirectory("apgw-bench-").FullName;
await Tool("ip", "netns", "add", ns);
try
{
    var runner = new TimingRunner(new ProcessCommandRunner(["ip", "netns", "exec", ns]), Environment.GetEnvironmentVariable("BENCH_TRACE") == "1");
    var specA = LargeGateway.Spec();
    var specB = LargeGateway.Spec(flipped: 5);
    var planA = GatewayFirewallPlan.Create(specA);
    var planB = GatewayFirewallPlan.Create(specB);
    // Warm the JIT first: the agent renders in a long-running process.
    for (var i = 0; i < 20; i++)
    {
        NftRulesetRenderer.Render(GatewayFirewallPlan.Create(specA));
    }
    var renderMs = Median(Enumerable.Range(0, runs).Select(_ => Time(() => NftRulesetRenderer.Render(GatewayFirewallPlan.Create(specA))))).TotalMilliseconds;
    Console.WriteLine(Json("validate-and-render-nft-1000-clients", "nftables", renderMs, null, runs));

    foreach (var backendName in new[] { "nftables", "iptables-legacy" })
    {
        var state = Path.Combine(dir, backendName + ".state");
        GatewayRoleReconciler NewReconciler() =>
            new(FirewallBackendDetector.Create(backendName, runner), new ForwardingSysctl(new CommandSysctl(runner), state));

        // The plain tool's input: exactly what our backend loads, rendered once up front.
        string[] FilesFor(GatewayFirewallPlan plan, bool jumpsPresent)
        {
            if (backendName == "nftables")
            {
                return [Write($"{backendName}-{plan.GetHashCode()}.nft", NftRulesetRenderer.Render(plan))];
            }
            var current = jumpsPresent
                ? IptablesSaveState.Parse("*filter\n:APPLIANCE-FWD - [0:0]\n-A FORWARD -i wg0 -j APPLIANCE-FWD\n-A FORWARD -o wg0 -j APPLIANCE-FWD\nCOMMIT\n*nat\n:APPLIANCE-POST - [0:0]\n-A POSTROUTING -j APPLIANCE-POST\nCOMMIT\n")
                : IptablesSaveState.Empty;
            return [.. new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }.Select(f =>
                Write($"{backendName}-{f}-{plan.GetHashCode()}-{jumpsPresent}.rules", IptablesRestoreRenderer.Render(plan, f, current)))];
        }
        async Task LoadPlainAsync(string[] files)
        {
            for (var i = 0; i < files.Length; i++)
            {
                if (backendName == "nftables")
                {
                    await Tool("ip", "netns", "exec", ns, "nft", "-f", files[i]);
                }
                else
                {
                    await Tool("ip", "netns", "exec", ns, "sh", "-c", $"exec {(i == 0 ? "iptables" : "ip6tables")}-legacy-restore --noflush < \"$0\"", files[i]);
                }
            }
        }

        // 1. From empty: everything ours removed (and forwarding restored) before each run.
        var ours = new List<TimeSpan>();
        var plain = new List<TimeSpan>();
        var emptyFiles = FilesFor(planA, jumpsPresent: false);
        for (var i = 0; i < runs; i++)
        {
            await NewReconciler().RemoveAsync();
            var r = NewReconciler();
            ours.Add(await TimeAsync(() => r.ApplyAsync(specA)));
            await NewReconciler().RemoveAsync();
            plain.Add(await TimeAsync(() => LoadPlainAsync(emptyFiles)));
        }
        Console.WriteLine(Json("reconcile-from-empty-1000-clients-20-ranges", backendName, Median(ours).TotalMilliseconds, Median(plain).TotalMilliseconds, runs));

        // 2. One client changed on a loaded gateway, alternating between the two specs.
        await NewReconciler().RemoveAsync();
        var rec = NewReconciler();
        await rec.ApplyAsync(specA);
        ours.Clear();
        plain.Clear();
        var filesA = FilesFor(planA, jumpsPresent: true);
        var filesB = FilesFor(planB, jumpsPresent: true);
        var last = specA;
        for (var i = 0; i < runs; i++)
        {
            last = i % 2 == 0 ? specB : specA;
            ours.Add(await TimeAsync(() => rec.ApplyAsync(last)));
        }
        for (var i = 0; i < runs; i++)
        {
            plain.Add(await TimeAsync(() => LoadPlainAsync(i % 2 == 0 ? filesB : filesA)));
        }
        Console.WriteLine(Json("change-one-client-of-1000", backendName, Median(ours).TotalMilliseconds, Median(plain).TotalMilliseconds, runs));

        // 3. Unchanged spec: no command at all.
        var same = Median(Enumerable.Range(0, runs).Select(_ => TimeAsync(() => rec.ApplyAsync(last)).GetAwaiter().GetResult()));
        Console.WriteLine(Json("unchanged-spec-1000-clients", backendName, same.TotalMilliseconds, null, runs));
        await rec.RemoveAsync();
    }
}
finally
{
    await Tool("ip", "netns", "del", ns);
    Directory.Delete(dir, recursive: true);
}
return 0;

string Write(string name, string text)
{
    var path = Path.Combine(dir, name);
    File.WriteAllText(path, text);
    return path;
}

static async Task Tool(string program, params string[] args)
{
    var r = await new ProcessCommandRunner().RunAsync(program, args);
    r.EnsureSuccess(program, args);
}

static TimeSpan Time(Action action)
{
    var sw = Stopwatch.StartNew();
    action();
    return sw.Elapsed;
}

static async Task<TimeSpan> TimeAsync(Func<Task> action)
{
    var sw = Stopwatch.StartNew();
    await action();
    return sw.Elapsed;
}

static TimeSpan Median(IEnumerable<TimeSpan> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

static string Json(string figure, string backend, double oursMs, double? toolMs, int runs) =>
    string.Create(CultureInfo.InvariantCulture,
        $"{{\"figure\":\"{figure}\",\"backend\":\"{backend}\",\"ours_ms\":{oursMs:F2},\"tool_alone_ms\":{(toolMs is { } t ? t.ToString("F2", CultureInfo.InvariantCulture) : "null")},\"ratio\":{(toolMs is { } t2 ? (oursMs / t2).ToString("F3", CultureInfo.InvariantCulture) : "null")},\"runs\":{runs}}}");
