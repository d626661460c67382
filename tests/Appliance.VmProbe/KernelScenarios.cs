using System.Diagnostics;
using System.Globalization;
using System.Net;
using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.Netlink;
using Appliance.Netlink.Route;
using Appliance.WireGuard;
using Appliance.WireGuard.Genl;

namespace Appliance.VmProbe;

/// <summary>Kernel WireGuard scenarios, all driven through lib/Appliance.WireGuard over netlink; <c>wg</c> only reads back.</summary>
public static class KernelScenarios
{
    public static Task GenlFamilyAsync(ProbeLog log)
    {
        var kind = WireGuardBackendSelector.Detect();
        log.Check("auto-selects-kernel", kind == WireGuardBackendKind.Kernel, kind.ToString());
        return Task.CompletedTask;
    }

    public static async Task ErrorsAsync(ProbeLog log)
    {
        using var backend = KernelWireGuardBackend.Open();
        using var route = RouteNetlinkClient.Open();
        await ExpectAsync<WireGuardDeviceNotFoundException>(log, "get-missing-is-ENODEV", () => backend.GetDeviceAsync("wgmissing"));
        route.CreateLink("wgerr", "wireguard");
        var e = Catch<NetlinkException>(() => route.CreateLink("wgerr", "wireguard"));
        log.Check("create-twice-is-EEXIST", e?.Errno == Errno.EEXIST, e?.ErrnoName ?? "no error");
        await backend.EnsureInterfaceAsync("wgerr"); // idempotent for an existing wireguard link
        await new WireGuardConfigurator(backend).ApplyAsync("wgerr", BigConfig(3, seed: 7));
        var before = await SortedDumpAsync("wgerr");
        await ExpectAsync<WgPlanValidationException>(log, "invalid-plan-rejected-before-sending", () => backend.ApplyAsync("wgerr", new WgDevicePlan { Peers = [new WgPeerChange(default)] }));
        log.Check("invalid-plan-sends-nothing", await SortedDumpAsync("wgerr") == before);
        await FailedApplyRollsBackAsync(log, route, before);
        var lo = Catch<WireGuardException>(() => backend.ApplyAsync("lo", new WgDevicePlan { ListenPort = 1 }).GetAwaiter().GetResult());
        log.Check("set-on-non-wireguard-link-typed", lo is WireGuardDeviceNotFoundException or WireGuardOperationException, lo?.GetType().Name + " " + lo?.Message);
        await backend.DeleteInterfaceAsync("wgerr");
        await ExpectAsync<WireGuardDeviceNotFoundException>(log, "delete-missing-is-not-found", () => backend.DeleteInterfaceAsync("wgerr"));
    }

    /// <summary>
    /// A 300-peer plan split into several WG_CMD_SET_DEVICE messages (4 KiB each); the ACK of the second is never read
    /// (receive timeout), after the kernel applied two messages. The configurator must put back the previous device.
    /// </summary>
    private static async Task FailedApplyRollsBackAsync(ProbeLog log, IRouteNetlink route, string before)
    {
        ushort familyId;
        using (var probe = new NetlinkClient(NetlinkSocket.Open(NetlinkProtocol.Generic)))
        {
            Assert(Appliance.Netlink.Generic.GenericNetlinkFamily.TryResolve(probe, WgGenlConstants.WG_GENL_NAME, out familyId), "wireguard genl family");
        }
        using var faulty = new FaultyNetlinkSocket(NetlinkSocket.Open(NetlinkProtocol.Generic), familyId, failAfterSets: 2);
        using var backend = new KernelWireGuardBackend(faulty, route, familyId, ownsSockets: false, maxMessageSize: 4096);
        int midPeers = -1;
        faulty.OnFault = () => midPeers = Shell.RunAsync("wg", "show", "wgerr", "peers").GetAwaiter().GetResult().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        var e = await CatchAsync<WireGuardException>(() => new WireGuardConfigurator(backend).ApplyAsync("wgerr", BigConfig(300, seed: 8)));
        log.Check("mid-apply-timeout-is-transport-error", e is WireGuardTransportException && faulty.Faulted, e?.GetType().Name + " " + e?.Message);
        log.Check("mid-apply-was-half-applied", midPeers is > 0 and < 300, "peers in the kernel when the ACK was lost: " + midPeers.ToString(CultureInfo.InvariantCulture));
        var after = await SortedDumpAsync("wgerr");
        log.Check("failed-apply-rolled-back-per-wg-show", after == before, after == before ? "" : "before:\n" + before + "\nafter:\n" + after);
    }

    private static async Task<string> SortedDumpAsync(string interfaceName)
    {
        var dump = await Shell.RunAsync("wg", "show", interfaceName, "dump");
        return string.Join('\n', dump.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    private static async Task<T?> CatchAsync<T>(Func<Task> action)
        where T : Exception
    {
        try
        {
            await action();
            return null;
        }
        catch (T e)
        {
            return e;
        }
    }

    public static async Task HandshakePingAsync(ProbeLog log)
    {
        using var backend = KernelWireGuardBackend.Open();
        using var route = RouteNetlinkClient.Open();
        await backend.EnsureInterfaceAsync("wg0");
        await backend.EnsureInterfaceAsync("wg1");
        var k0 = X25519.GenerateKeyPair();
        var k1 = X25519.GenerateKeyPair();
        await new WireGuardConfigurator(backend).ApplyAsync("wg0", new WgDeviceConfig(k0.PrivateKey)
        {
            ListenPort = 51820,
            Peers = [new WgPeerConfig(k1.PublicKey) { Endpoint = IPEndPoint.Parse("127.0.0.1:51821"), AllowedIPs = [IPNetwork.Parse("10.9.0.2/32")] }],
        });
        await new WireGuardConfigurator(backend).ApplyAsync("wg1", new WgDeviceConfig(k1.PrivateKey)
        {
            ListenPort = 51821,
            Peers = [new WgPeerConfig(k0.PublicKey) { Endpoint = IPEndPoint.Parse("127.0.0.1:51820"), PersistentKeepalive = 25, AllowedIPs = [IPNetwork.Parse("10.9.0.1/32")] }],
        });
        Up(route, "lo", null);
        var wg0 = Up(route, "wg0", new RtAddress(0, IPAddress.Parse("10.9.0.1"), 24));

        // A second namespace held by a sleeping process; wg1 moves there, its UDP socket stays in this namespace.
        using var holder = Shell.Start("unshare", "-n", "sleep", "600");
        var nsPath = $"/proc/{holder.Id}/ns/net";
        var deadline = Stopwatch.StartNew();
        while (File.ResolveLinkTarget(nsPath, false)?.Name == File.ResolveLinkTarget("/proc/self/ns/net", false)?.Name && deadline.ElapsedMilliseconds < 10_000)
        {
            await Task.Delay(20);
        }
        try
        {
            Assert(route.TryGetLink("wg1", out var wg1), "wg1 exists");
            route.MoveLinkToNamespace(wg1.Index, nsPath);
            log.Check("wg1-left-init-netns", !route.TryGetLink("wg1", out _));
            using (var inner = RouteNetlinkClient.Open(nsPath))
            {
                Up(inner, "lo", null);
                Up(inner, "wg1", new RtAddress(0, IPAddress.Parse("10.9.0.2"), 24));
            }
            var ping = await Shell.RunAsync("ping", "-c", "3", "-W", "5", "10.9.0.2");
            log.Check("ping-through-kernel-wireguard", ping.Code == 0, ping.Output.Split('\n').FirstOrDefault(l => l.Contains("packets", StringComparison.Ordinal)) ?? ping.Output);

            var d0 = await backend.GetDeviceAsync("wg0");
            var peer = d0.Peers.Single();
            log.Check("handshake-read-over-netlink", peer.LastHandshake is not null && peer.RxBytes > 0 && peer.TxBytes > 0, $"hs={peer.LastHandshake:O} rx={peer.RxBytes} tx={peer.TxBytes}");
            log.Check("public-key-derived-by-kernel", d0.PublicKey == k0.PublicKey);
            using (var innerWg = KernelWireGuardBackend.Open(nsPath))
            {
                var d1 = await innerWg.GetDeviceAsync("wg1");
                log.Check("wg1-read-inside-its-netns", d1.Peers.Single().PublicKey == k0.PublicKey && d1.Peers.Single().PersistentKeepalive == 25);
            }
            var dump = await Shell.RunAsync("wg", "show", "wg0", "dump");
            log.Info("wg show wg0 dump:\n" + dump.Output.TrimEnd());
            var fields = dump.Output.Split('\n')[1].Split('\t');
            log.Check("wg-show-agrees", fields[0] == k1.PublicKey.ToString() && fields[3] == "10.9.0.2/32" && long.Parse(fields[4], CultureInfo.InvariantCulture) > 0 && fields[2] == "127.0.0.1:51821", string.Join(' ', fields));
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }
        _ = wg0;
        await backend.DeleteInterfaceAsync("wg0");
    }

    public static async Task Peers1000Async(ProbeLog log)
    {
        using var backend = KernelWireGuardBackend.Open();
        await backend.EnsureInterfaceAsync("wgbig");
        var config = BigConfig(1000, seed: 1);
        var sw = Stopwatch.StartNew();
        await new WireGuardConfigurator(backend).ApplyAsync("wgbig", config);
        log.Info($"applied 1000 peers in {sw.ElapsedMilliseconds} ms");
        var device = await backend.GetDeviceAsync("wgbig");
        log.Check("readback-1000-peers", device.Peers.Count == 1000, device.Peers.Count.ToString(CultureInfo.InvariantCulture));
        var want = config.Peers.ToDictionary(p => p.PublicKey);
        log.Check("readback-matches", device.Peers.All(p => want.TryGetValue(p.PublicKey, out var w) && w.AllowedIPs.SequenceEqual(p.AllowedIPs) && Equals(w.Endpoint, p.Endpoint)));
        var dump = await Shell.RunAsync("wg", "show", "wgbig", "dump");
        var lines = dump.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split('\t')).ToList();
        log.Check("wg-show-sees-1000", lines.Count == 1000 && lines.All(f => want.ContainsKey(WgKey.Parse(f[0]))), lines.Count.ToString(CultureInfo.InvariantCulture));
        var plan = WgReconciler.Diff(device, config);
        log.Check("unchanged-state-empty-plan", plan.IsEmpty);
        // Replace with a different 1000 (half overlapping) and read back again.
        var next = config with { Peers = [.. config.Peers.Skip(500), .. BigConfig(500, seed: 2).Peers] };
        await new WireGuardConfigurator(backend).ApplyAsync("wgbig", next);
        device = await backend.GetDeviceAsync("wgbig");
        var nextKeys = next.Peers.Select(p => p.PublicKey).ToHashSet();
        log.Check("reconciled-to-new-set", device.Peers.Count == 1000 && device.Peers.All(p => nextKeys.Contains(p.PublicKey)));
        // Left for poweroff: deleting 1000 peers costs ~15 s of per-peer kernel teardown under TCG.
    }

    public static async Task Peers10000Async(ProbeLog log)
    {
        using var backend = KernelWireGuardBackend.Open();
        await backend.EnsureInterfaceAsync("wghuge");
        var config = BigConfig(10_000, seed: 3);
        // Plus one peer with 3000 allowed IPs: more than one message holds, so both our encoder's continuation
        // (same key, no REPLACE_ALLOWEDIPS) and the kernel's split dump of that peer are exercised.
        var wide = new WgPeerConfig(X25519.GenerateKeyPair().PublicKey)
        {
            AllowedIPs = [.. Enumerable.Range(0, 3000).Select(i => new IPNetwork(new IPAddress([172, 16, (byte)(i >> 8), (byte)i]), 32))],
        };
        config = config with { Peers = [.. config.Peers, wide] };
        var sw = Stopwatch.StartNew();
        await backend.ApplyAsync("wghuge", WgDevicePlan.FromConfig(config));
        log.Info($"applied 10000 peers (split into WG_CMD_SET_DEVICE chunks) in {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        var device = await backend.GetDeviceAsync("wghuge");
        log.Info($"read back 10000 peers (multi-part dump) in {sw.ElapsedMilliseconds} ms");
        var want = config.Peers.ToDictionary(p => p.PublicKey);
        log.Check("readback-10000-peers", device.Peers.Count == 10_001, device.Peers.Count.ToString(CultureInfo.InvariantCulture));
        var wideBack = device.Peers.Single(p => p.PublicKey == wide.PublicKey);
        log.Check("peer-with-3000-allowed-ips-intact", wideBack.AllowedIPs.ToHashSet().SetEquals(wide.AllowedIPs), wideBack.AllowedIPs.Count.ToString(CultureInfo.InvariantCulture));
        log.Check("readback-10000-matches", device.Peers.All(p => want.TryGetValue(p.PublicKey, out var w) && w.AllowedIPs.SequenceEqual(p.AllowedIPs)));
        var count = await Shell.RunAsync("sh", "-c", "wg show wghuge peers | wc -l");
        log.Check("wg-show-sees-10001", count.Output.Trim() == "10001", count.Output.Trim());
        // Not deleted: tearing down 10,000 peers costs minutes under TCG (per-peer timer/RCU work in the
        // kernel), and the VM powers off right after the probe anyway.
    }

    public static async Task BenchAsync(ProbeLog log)
    {
        using var backend = KernelWireGuardBackend.Open();
        const int rounds = 5;
        var ours = new Dictionary<string, List<double>> { ["apply-1000-empty"] = [], ["replace-1000-with-1000"] = [], ["one-peer-change-on-1000"] = [] };
        var theirs = new Dictionary<string, List<double>> { ["apply-1000-empty"] = [], ["replace-1000-with-1000"] = [] };
        Directory.CreateDirectory("/tmp/bench");
        for (int r = 0; r < rounds; r++)
        {
            var a = BigConfig(1000, seed: 10 + r);
            var b = BigConfig(1000, seed: 100 + r);
            await backend.EnsureInterfaceAsync("wgb");
            ours["apply-1000-empty"].Add(await TimeAsync(() => backend.ApplyAsync("wgb", WgDevicePlan.FromConfig(a))));
            ours["replace-1000-with-1000"].Add(await TimeAsync(() => backend.ApplyAsync("wgb", WgDevicePlan.FromConfig(b))));
            var current = await backend.GetDeviceAsync("wgb");
            var changed = WireGuardConfigurator.ToConfig(current);
            changed = changed with { Peers = [.. changed.Peers.Skip(1), changed.Peers[0] with { PersistentKeepalive = 15 }] };
            ours["one-peer-change-on-1000"].Add(await TimeAsync(async () =>
            {
                var now = await backend.GetDeviceAsync("wgb");
                await backend.ApplyAsync("wgb", WgReconciler.Diff(now, changed));
            }));
            await backend.DeleteInterfaceAsync("wgb");

            await backend.EnsureInterfaceAsync("wgc");
            File.WriteAllText("/tmp/bench/a.conf", ToWgConf(a));
            File.WriteAllText("/tmp/bench/b.conf", ToWgConf(b));
            theirs["apply-1000-empty"].Add(await TimeAsync(() => Shell.RunAsync("wg", "setconf", "wgc", "/tmp/bench/a.conf")));
            theirs["replace-1000-with-1000"].Add(await TimeAsync(() => Shell.RunAsync("wg", "setconf", "wgc", "/tmp/bench/b.conf")));
            await backend.DeleteInterfaceAsync("wgc");
        }
        foreach (var (name, samples) in ours)
        {
            double med = Median(samples);
            string extra = theirs.TryGetValue(name, out var t) ? FormattableString.Invariant($",\"wg_setconf_median_ms\":{Median(t):F2},\"ratio\":{med / Median(t):F3}") : "";
            log.Bench(FormattableString.Invariant($"{{\"bench\":\"netlink-vm/{name}\",\"ours_median_ms\":{med:F2}{extra},\"rounds\":{rounds}}}"));
        }
    }

    internal static WgDeviceConfig BigConfig(int peers, int seed)
    {
        var rng = new Random(seed);
        var key = new byte[32];
        WgKey Next()
        {
            rng.NextBytes(key);
            return new WgKey(key);
        }
        return new WgDeviceConfig(X25519.GenerateKeyPair().PrivateKey)
        {
            ListenPort = 40000 + seed,
            Peers = [.. Enumerable.Range(0, peers).Select(i => new WgPeerConfig(Next())
            {
                Endpoint = new IPEndPoint(new IPAddress([192, 0, (byte)(2 + (i >> 8)), (byte)i]), 51820),
                PersistentKeepalive = 25,
                AllowedIPs = [new IPNetwork(new IPAddress([10, (byte)(seed + (i >> 16)), (byte)(i >> 8), (byte)i]), 32)],
            })],
        };
    }

    internal static string ToWgConf(WgDeviceConfig c)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[Interface]\nPrivateKey = {c.PrivateKey}\nListenPort = {c.ListenPort}\n");
        foreach (var p in c.Peers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n[Peer]\nPublicKey = {p.PublicKey}\nEndpoint = {p.Endpoint}\nPersistentKeepalive = {p.PersistentKeepalive}\nAllowedIPs = {string.Join(", ", p.AllowedIPs)}\n");
        }
        return sb.ToString();
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

    private static RtLink Up(IRouteNetlink route, string name, RtAddress? address)
    {
        Assert(route.TryGetLink(name, out var link), name + " exists");
        if (address is not null)
        {
            route.AddAddress(address with { InterfaceIndex = link.Index });
        }
        route.SetLinkUp(link.Index, true);
        return link;
    }

    private static void Assert(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("expected: " + what);
        }
    }

    private static T? Catch<T>(Action action)
        where T : Exception
    {
        try
        {
            action();
            return null;
        }
        catch (T e)
        {
            return e;
        }
    }

    private static async Task ExpectAsync<T>(ProbeLog log, string name, Func<Task> action)
        where T : Exception
    {
        try
        {
            await action();
            log.Check(name, false, "no exception");
        }
        catch (T e)
        {
            log.Check(name, true, e.GetType().Name + ": " + e.Message);
        }
    }
}
