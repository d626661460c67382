using System.Diagnostics;
using System.Globalization;
using Appliance.Crypto;
using Appliance.WireGuard;
using Appliance.WireGuard.Uapi;

namespace Appliance.Bench.WireGuard;

/// <summary>
/// Side by side on one wireguard-go device: our UAPI backend vs the official <c>wg setconf</c> (spawned like a
/// shell-out agent would). wireguard-go runs in the root namespace with a unique interface name that has no
/// addresses and stays down; it is stopped and its TUN removed at the end. One JSON line per figure.
/// </summary>
public static class UapiVersusWgSetconf
{
    public static async Task<int> RunAsync(int rounds)
    {
        var iface = "apwgb" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
        var dir = Directory.CreateTempSubdirectory("apwg-bench").FullName;
        using var launcher = new WireGuardGoLauncher();
        using var backend = new UserspaceWireGuardBackend(new UapiSocketTransport(), launcher);
        try
        {
            await backend.EnsureInterfaceAsync(iface);
            var priv = X25519.GenerateKeyPair().PrivateKey;
            var empty = new WgDevicePlan { ReplacePeers = true };
            var ours = new Dictionary<string, List<double>>();
            var theirs = new Dictionary<string, List<double>>();
            void Add(Dictionary<string, List<double>> d, string k, double v) => (d.TryGetValue(k, out var l) ? l : d[k] = []).Add(v);

            for (int r = 0; r < rounds + 1; r++)
            {
                bool warmup = r == 0;
                var a = BenchConfigs.Make(1000, 1 + (r % 50), priv);
                var b = BenchConfigs.Make(1000, 101 + (r % 50), priv);
                var fileA = Path.Combine(dir, "a.conf");
                var fileB = Path.Combine(dir, "b.conf");
                await File.WriteAllTextAsync(fileA, BenchConfigs.ToWgConf(a));
                await File.WriteAllTextAsync(fileB, BenchConfigs.ToWgConf(b));

                // Alternate who goes first each round, so background load and wireguard-go's async teardown of the
                // previous peers hit both sides alike.
                double w1 = 0, w2 = 0, w3 = 0;
                async Task Theirs()
                {
                    await backend.ApplyAsync(iface, empty);
                    w1 = await TimeAsync(() => Wg("setconf", iface, fileA));
                    w2 = await TimeAsync(() => Wg("setconf", iface, fileB));
                    w3 = await TimeAsync(() => Wg("syncconf", iface, fileA));
                }
                if (r % 2 == 1)
                {
                    await Theirs();
                }

                // Ours: full setconf-equivalent plans.
                await backend.ApplyAsync(iface, empty);
                double t1 = await TimeAsync(() => backend.ApplyAsync(iface, WgDevicePlan.FromConfig(a)));
                double t2 = await TimeAsync(() => backend.ApplyAsync(iface, WgDevicePlan.FromConfig(b)));
                // Ours, reconciling: read the device, diff, apply the minimal plan.
                double t3 = await TimeAsync(async () =>
                {
                    var now = await backend.GetDeviceAsync(iface);
                    await backend.ApplyAsync(iface, WgReconciler.Diff(now, a));
                });
                // One peer changed on a 1000-peer device (keepalive), known current state vs read+diff.
                var changedConfig = a with { Peers = [.. a.Peers.Skip(1), a.Peers[0] with { PersistentKeepalive = 10 + r }] };
                var current = await backend.GetDeviceAsync(iface);
                double t4 = await TimeAsync(() => backend.ApplyAsync(iface, WgReconciler.Diff(current, changedConfig)));
                var changedAgain = a with { Peers = [.. a.Peers.Skip(1), a.Peers[0] with { PersistentKeepalive = 100 + r }] };
                double t5 = await TimeAsync(async () =>
                {
                    var now = await backend.GetDeviceAsync(iface);
                    await backend.ApplyAsync(iface, WgReconciler.Diff(now, changedAgain));
                });
                double t6 = await TimeAsync(async () =>
                {
                    var now = await backend.GetDeviceAsync(iface);
                    var plan = WgReconciler.Diff(now, changedAgain);
                    if (!plan.IsEmpty)
                    {
                        throw new InvalidOperationException("unchanged state produced a plan");
                    }
                });

                if (r % 2 == 0)
                {
                    await Theirs();
                }
                if (warmup)
                {
                    continue;
                }
                Add(ours, "apply-1000-to-empty", t1);
                Add(ours, "replace-1000-with-1000", t2);
                Add(ours, "reconcile-1000-to-other-1000", t3);
                Add(ours, "one-peer-change-known-state", t4);
                Add(ours, "one-peer-change-read-diff-apply", t5);
                Add(ours, "unchanged-read-diff-noop", t6);
                Add(theirs, "apply-1000-to-empty", w1);
                Add(theirs, "replace-1000-with-1000", w2);
                Add(theirs, "reconcile-1000-to-other-1000", w3);
            }

            foreach (var (name, samples) in ours)
            {
                double med = Median(samples);
                string extra = theirs.TryGetValue(name, out var t)
                    ? FormattableString.Invariant($",\"wg_median_ms\":{Median(t):F2},\"wg_min_ms\":{t.Min():F2},\"wg_command\":\"wg {(name.StartsWith("reconcile", StringComparison.Ordinal) ? "syncconf" : "setconf")}\",\"ratio\":{med / Median(t):F3}")
                    : "";
                Console.WriteLine(FormattableString.Invariant($"{{\"bench\":\"uapi/{name}\",\"peers\":1000,\"ours_median_ms\":{med:F2},\"ours_min_ms\":{samples.Min():F2}{extra},\"rounds\":{rounds}}}"));
            }
            return 0;
        }
        finally
        {
            await backend.DeleteInterfaceAsync(iface);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task Wg(params string[] args)
    {
        var psi = new ProcessStartInfo("wg") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"wg {string.Join(' ', args)}: {err}");
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }
}
