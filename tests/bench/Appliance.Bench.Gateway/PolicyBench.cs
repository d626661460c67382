using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Appliance.Contracts.Mesh;
using Appliance.Gateway;
using Appliance.Gateway.Commands;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Model;
using Appliance.Gateway.Nftables;
using Appliance.Gateway.Sysctl;

namespace Appliance.Bench.Gateway;

/// <summary>
/// Access policies on a node (issue #19): the time to apply a 200-rule inbound filter on a plain node from nothing,
/// and to replace it with another 200-rule filter, through <see cref="GatewayRoleReconciler"/> in a throwaway
/// namespace, for nftables and iptables-legacy; plus the ruleset's size. One JSON line per figure (medians).
/// </summary>
internal static class PolicyBench
{
    public const int Rules = 200;

    /// <summary>
    /// A node 10.100.0.1 (and fd64::1) with <see cref="Rules"/> rules: each allows 5 node addresses (a tag's members)
    /// on its own tcp port, every 5th rule udp, every 10th icmp, every 20th a /24 of sources and a port range.
    /// </summary>
    public static GatewayFirewallSpec Spec(int seed) => new()
    {
        MeshInterface = "wg0",
        MeshRanges = ["10.100.0.0/16", "fd64::/64"],
        MeshAddresses = ["10.100.0.1", "fd64::1"],
        Filter = new MeshFilterDto
        {
            Inbound = [.. Enumerable.Range(0, Rules).Select(i => i % 20 == 0
                ? new FilterRuleDto([$"10.100.{(i + seed) % 200 + 10}.0/24", "fd64::/64"], [], FilterRuleDto.Tcp, 8000 + i, 8099 + i)
                : i % 10 == 0 ? new FilterRuleDto([.. Sources(i, seed)], [], FilterRuleDto.Icmp)
                : new FilterRuleDto([.. Sources(i, seed)], [], i % 5 == 0 ? FilterRuleDto.Udp : FilterRuleDto.Tcp, 1000 + i + seed, 1000 + i + seed))],
        },
    };

    private static IEnumerable<string> Sources(int rule, int seed) =>
        Enumerable.Range(0, 5).Select(k => $"10.100.{1 + ((rule * 5 + k + seed) / 250) % 200}.{1 + ((rule * 5 + k + seed) % 250)}");

    public static async Task<int> RunAsync(int runs)
    {
        var ns = "appolbench" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..4];
        var dir = Directory.CreateTempSubdirectory("appol-bench-").FullName;
        await Tool("ip", "netns", "add", ns);
        try
        {
            var runner = new ProcessCommandRunner(["ip", "netns", "exec", ns]);
            var (a, b) = (Spec(0), Spec(7));
            var plan = GatewayFirewallPlan.Create(a);
            Console.WriteLine(Size("ruleset-size-200-rules", "nftables", NftRulesetRenderer.Render(plan)));
            Console.WriteLine(Size("ruleset-size-200-rules", "iptables-legacy",
                IptablesRestoreRenderer.Render(plan, AddressFamily.InterNetwork, IptablesSaveState.Empty) + IptablesRestoreRenderer.Render(plan, AddressFamily.InterNetworkV6, IptablesSaveState.Empty)));
            foreach (var backend in new[] { "nftables", "iptables-legacy" })
            {
                GatewayRoleReconciler New() => new(FirewallBackendDetector.Create(backend, runner), new ForwardingSysctl(new CommandSysctl(runner), Path.Combine(dir, backend + ".state")));
                var fromEmpty = new List<TimeSpan>();
                for (var i = 0; i < runs; i++)
                {
                    await New().RemoveAsync();
                    var r = New();
                    fromEmpty.Add(await TimeAsync(() => r.ApplyAsync(a)));
                }
                Console.WriteLine(Json("apply-filter-from-empty-200-rules", backend, Median(fromEmpty), runs));

                await New().RemoveAsync();
                var rec = New();
                await rec.ApplyAsync(a);
                var change = new List<TimeSpan>();
                for (var i = 0; i < runs; i++)
                {
                    var next = i % 2 == 0 ? b : a;
                    change.Add(await TimeAsync(() => rec.ApplyAsync(next)));
                }
                Console.WriteLine(Json("replace-filter-200-rules", backend, Median(change), runs));
                await rec.RemoveAsync();
            }
        }
        finally
        {
            await Tool("ip", "netns", "del", ns);
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static async Task Tool(string program, params string[] args) =>
        (await new ProcessCommandRunner().RunAsync(program, args)).EnsureSuccess(program, args);

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed;
    }

    private static double Median(List<TimeSpan> values) => values.Order().ToList()[values.Count / 2].TotalMilliseconds;

    private static string Json(string figure, string backend, double ms, int runs) =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"figure\":\"{figure}\",\"backend\":\"{backend}\",\"ours_ms\":{ms:F2},\"runs\":{runs}}}");

    private static string Size(string figure, string backend, string text) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"figure\":\"{figure}\",\"backend\":\"{backend}\",\"rules\":{text.Split('\n').Count(l => l.Contains("accept", StringComparison.Ordinal) || l.Contains("-j ACCEPT", StringComparison.Ordinal))},\"bytes\":{text.Length}}}");
}
