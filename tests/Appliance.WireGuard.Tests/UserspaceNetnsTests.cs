using System.Net;
using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.Netlink;
using Appliance.Netlink.Route;
using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

/// <summary>
/// wireguard-go in two network namespaces joined by a veth pair, configured only by our library (UAPI + rtnetlink),
/// then a real ping through the tunnel; the official <c>wg show dump</c> checks the result independently.
/// </summary>
public sealed class UserspaceNetnsTests
{
    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task Two_namespaces_handshake_and_ping_through_wireguard_go_configured_over_UAPI_and_rtnetlink()
    {
        await using var lab = new NetnsLab();
        var a = await lab.AddNamespaceAsync("a");
        var b = await lab.AddNamespaceAsync("b");
        await lab.VethAsync(a, lab.Prefix + "va", "192.168.77.1/24", b, lab.Prefix + "vb", "192.168.77.2/24");
        var wg = lab.Prefix + "wg";
        var ka = X25519.GenerateKeyPair();
        var kb = X25519.GenerateKeyPair();

        var backendA = lab.UserspaceBackend(a);
        var backendB = lab.UserspaceBackend(b);
        await backendA.EnsureInterfaceAsync(wg);
        await backendB.EnsureInterfaceAsync(wg);

        var configA = new WgDeviceConfig(ka.PrivateKey)
        {
            ListenPort = 51820,
            Peers = [new WgPeerConfig(kb.PublicKey) { Endpoint = IPEndPoint.Parse("192.168.77.2:51821"), AllowedIPs = [IPNetwork.Parse("10.100.0.2/32"), IPNetwork.Parse("10.200.0.0/24")] }],
        };
        var configB = new WgDeviceConfig(kb.PrivateKey)
        {
            ListenPort = 51821,
            Peers = [new WgPeerConfig(ka.PublicKey) { Endpoint = IPEndPoint.Parse("192.168.77.1:51820"), PersistentKeepalive = 25, AllowedIPs = [IPNetwork.Parse("10.100.0.1/32")] }],
        };
        await new WireGuardConfigurator(backendA).ApplyAsync(wg, configA);
        await new WireGuardConfigurator(backendB).ApplyAsync(wg, configB);

        foreach (var (ns, addr, v6) in new[] { (a, "10.100.0.1", "fd10::1"), (b, "10.100.0.2", "fd10::2") })
        {
            var rt = lab.Route(ns);
            Assert.True(rt.TryGetLink(wg, out var link));
            rt.SetLinkMtu(link.Index, 1380);
            rt.AddAddress(new RtAddress(link.Index, IPAddress.Parse(addr), 24));
            rt.AddAddress(new RtAddress(link.Index, IPAddress.Parse(v6), 64));
            rt.SetLinkUp(link.Index, true);
            Assert.True(rt.TryGetLink(wg, out link));
            Assert.True(link.IsUp);
            Assert.Equal(1380, link.Mtu);
        }

        var ping = await lab.PingAsync(a, "10.100.0.2");
        Assert.True(ping.ExitCode == 0, "ping through the tunnel failed:\n" + ping.StdOut + ping.StdErr);

        // Our read-back: handshake and counters.
        var deviceA = await backendA.GetDeviceAsync(wg);
        Assert.Equal(ka.PublicKey, deviceA.PublicKey);
        Assert.Equal(51820, deviceA.ListenPort);
        var peer = Assert.Single(deviceA.Peers);
        Assert.NotNull(peer.LastHandshake);
        Assert.True(peer.RxBytes > 0 && peer.TxBytes > 0);

        // Independent reader: the official wg tool.
        var dump = WgDumpReader.Parse(await lab.WgAsync(a, "show", wg, "dump"));
        Assert.Equal(ka.PrivateKey.ToString(), dump.PrivateKey);
        Assert.Equal(51820, dump.ListenPort);
        var p = Assert.Single(dump.Peers);
        Assert.Equal(kb.PublicKey.ToString(), p.PublicKey);
        Assert.Equal("10.100.0.2/32,10.200.0.0/24", WgDumpReader.Normalize(p.AllowedIPs));
        Assert.Equal("192.168.77.2:51821", p.Endpoint);
        Assert.True(p.LatestHandshake > 0);
        Assert.True(p.Rx > 0 && p.Tx > 0);

        // IPv6 inside the tunnel needs the allowed IP; adding it is an append-only plan.
        var grown = configA with { Peers = [configA.Peers[0] with { AllowedIPs = [.. configA.Peers[0].AllowedIPs, IPNetwork.Parse("fd10::2/128")] }] };
        var plan = await new WireGuardConfigurator(backendA).ApplyAsync(wg, grown);
        var change = Assert.Single(plan.Peers);
        Assert.False(change.ReplaceAllowedIPs);
        Assert.Equal([IPNetwork.Parse("fd10::2/128")], change.AllowedIPs);
        await new WireGuardConfigurator(backendB).ApplyAsync(wg, configB with { Peers = [configB.Peers[0] with { AllowedIPs = [IPNetwork.Parse("10.100.0.1/32"), IPNetwork.Parse("fd10::1/128")] }] });
        var ping6 = await lab.PingAsync(a, "fd10::2");
        Assert.True(ping6.ExitCode == 0, "IPv6 ping through the tunnel failed:\n" + ping6.StdOut + ping6.StdErr);

        // A route in a custom table through the tunnel, read back over rtnetlink.
        var rtA = lab.Route(a);
        Assert.True(rtA.TryGetLink(wg, out var wgA));
        rtA.AddRoute(new RtRoute(IPNetwork.Parse("10.200.0.0/24"), wgA.Index, 1234));
        Assert.Contains(new RtRoute(IPNetwork.Parse("10.200.0.0/24"), wgA.Index, 1234), rtA.GetRoutes(1234));
        rtA.DeleteRoute(new RtRoute(IPNetwork.Parse("10.200.0.0/24"), wgA.Index, 1234));
        Assert.Empty(rtA.GetRoutes(1234));

        await backendA.DeleteInterfaceAsync(wg);
        await backendB.DeleteInterfaceAsync(wg);
        await Assert.ThrowsAsync<WireGuardDeviceNotFoundException>(() => backendA.GetDeviceAsync(wg));
        // Stopped with SIGTERM, wireguard-go removes its own UAPI socket (a SIGKILL would leave it behind).
        Assert.False(File.Exists(Path.Combine(lab.SocketDirectory(a), wg + ".sock")), "wireguard-go did not shut down cleanly");
        Assert.False(File.Exists(Path.Combine(lab.SocketDirectory(b), wg + ".sock")), "wireguard-go did not shut down cleanly");
    }

    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task Reconcile_from_one_peer_set_to_another_matches_wg_show_dump_and_an_unchanged_state_sends_nothing()
    {
        await using var lab = new NetnsLab();
        var ns = await lab.AddNamespaceAsync("r");
        var wg = lab.Prefix + "wg";
        var counting = new CountingUapiTransport(new UapiSocketTransport(lab.SocketDirectory(ns)));
        var backend = lab.UserspaceBackend(ns, counting);
        await backend.EnsureInterfaceAsync(wg);
        var configurator = new WireGuardConfigurator(backend);

        var keys = Enumerable.Range(0, 8).Select(_ => X25519.GenerateKeyPair().PublicKey).ToArray();
        WgPeerConfig Peer(int i, params string[] ips) => new(keys[i]) { AllowedIPs = [.. ips.Select(IPNetwork.Parse)] };
        var priv = X25519.GenerateKeyPair().PrivateKey;
        var first = new WgDeviceConfig(priv)
        {
            ListenPort = 40000,
            Peers =
            [
                Peer(0, "10.0.0.1/32"), Peer(1, "10.0.0.2/32"), Peer(2, "10.0.0.3/32", "10.1.0.0/16"),
                Peer(3, "10.0.0.4/32") with { PersistentKeepalive = 25 }, Peer(4, "10.0.0.5/32") with { Endpoint = IPEndPoint.Parse("[2001:db8::5]:51820") },
            ],
        };
        await configurator.ApplyAsync(wg, first);
        await AssertDumpMatches(lab, ns, wg, first);

        var second = first with
        {
            Peers =
            [
                Peer(0, "10.0.0.1/32"),                                  // unchanged
                Peer(2, "10.0.0.3/32"),                                  // shrunk: replace allowed IPs
                Peer(3, "10.0.0.4/32") with { PersistentKeepalive = 0 }, // keepalive off
                Peer(4, "10.0.0.5/32", "fd00::5/128") with { Endpoint = IPEndPoint.Parse("192.0.2.5:51820") }, // grown + moved
                Peer(5, "10.0.0.6/32"), Peer(6, "10.0.0.7/32", "10.7.0.0/24"),                                 // new
            ],
        };
        var plan = await configurator.ApplyAsync(wg, second);
        Assert.Equal([keys[1]], plan.Peers.Where(p => p.Remove).Select(p => p.PublicKey));
        Assert.Equal([keys[2], keys[3], keys[4]], plan.Peers.Where(p => p.UpdateOnly).Select(p => p.PublicKey));
        Assert.Equal([keys[5], keys[6]], plan.Peers.Where(p => !p.UpdateOnly && !p.Remove).Select(p => p.PublicKey));
        Assert.DoesNotContain(plan.Peers, p => p.PublicKey == keys[0]);
        await AssertDumpMatches(lab, ns, wg, second);

        // Applying the same state again: one read, zero writes.
        int sets = counting.SetRequests;
        var again = await configurator.ApplyAsync(wg, second);
        Assert.True(again.IsEmpty);
        Assert.Equal(sets, counting.SetRequests);
    }

    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task Kernel_and_UAPI_errors_are_typed_and_a_rejected_plan_leaves_the_device_unchanged()
    {
        await using var lab = new NetnsLab();
        var ns = await lab.AddNamespaceAsync("e");
        var wg = lab.Prefix + "wg";
        var backend = lab.UserspaceBackend(ns);
        await Assert.ThrowsAsync<WireGuardDeviceNotFoundException>(() => backend.GetDeviceAsync(wg));
        await backend.EnsureInterfaceAsync(wg);
        var key = X25519.GenerateKeyPair();
        var config = new WgDeviceConfig(key.PrivateKey) { ListenPort = 41000, Peers = [new WgPeerConfig(X25519.GenerateKeyPair().PublicKey) { AllowedIPs = [IPNetwork.Parse("10.0.0.9/32")] }] };
        await new WireGuardConfigurator(backend).ApplyAsync(wg, config);
        var before = await lab.WgAsync(ns, "show", wg, "dump");

        // Rejected by validation before anything is sent, so the device is trivially unchanged; rollback after a
        // real half-applied plan is A_UAPI_connection_broken_mid_apply_is_rolled_back_to_the_previous_peer_set.
        var bad = config with { Peers = [config.Peers[0] with { PersistentKeepalive = 70000 }] };
        await Assert.ThrowsAsync<WgPlanValidationException>(() => new WireGuardConfigurator(backend).ApplyAsync(wg, bad));
        Assert.Equal(before, await lab.WgAsync(ns, "show", wg, "dump"));

        // Refused by wireguard-go itself: the UAPI errno comes back typed.
        var transport = new UapiSocketTransport(lab.SocketDirectory(ns));
        var reply = await transport.ExchangeAsync(wg, "set=1\nlisten_port=notaport\n\n"u8.ToArray());
        Assert.Equal(Errno.EINVAL, UapiParser.ParseErrno(reply));

        // rtnetlink: EEXIST for a duplicate address, ENODEV for a missing link.
        var rt = lab.Route(ns);
        Assert.True(rt.TryGetLink(wg, out var link));
        var addr = new RtAddress(link.Index, IPAddress.Parse("10.55.0.1"), 24);
        rt.AddAddress(addr);
        Assert.Contains(addr, rt.GetAddresses(link.Index));
        Assert.Equal(Errno.EEXIST, Assert.Throws<NetlinkException>(() => rt.AddAddress(addr)).Errno);
        rt.DeleteAddress(addr);
        Assert.DoesNotContain(addr, rt.GetAddresses(link.Index));
        Assert.Equal(Errno.ENODEV, Assert.Throws<NetlinkException>(() => rt.DeleteLink(lab.Prefix + "nope")).Errno);
        Assert.False(rt.TryGetLink(lab.Prefix + "nope", out _));
        Assert.Equal(before, await lab.WgAsync(ns, "show", wg, "dump"));
    }

    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task A_UAPI_connection_broken_mid_apply_is_rolled_back_to_the_previous_peer_set()
    {
        await using var lab = new NetnsLab();
        var ns = await lab.AddNamespaceAsync("p");
        var wg = lab.Prefix + "wg";
        var breaking = new BreakingUapiTransport(new UapiSocketTransport(lab.SocketDirectory(ns)));
        var backend = lab.UserspaceBackend(ns, breaking);
        await backend.EnsureInterfaceAsync(wg);
        var configurator = new WireGuardConfigurator(backend);

        var priv = X25519.GenerateKeyPair().PrivateKey;
        var setA = new WgDeviceConfig(priv)
        {
            ListenPort = 42000,
            Peers = [.. Enumerable.Range(0, 3).Select(i => new WgPeerConfig(X25519.GenerateKeyPair().PublicKey)
            {
                AllowedIPs = [IPNetwork.Parse($"10.9.0.{i + 1}/32")],
                Endpoint = IPEndPoint.Parse($"192.0.2.{i + 1}:51820"),
                PersistentKeepalive = 25,
            })],
        };
        await configurator.ApplyAsync(wg, setA);
        await AssertDumpMatches(lab, ns, wg, setA);

        // 300 new peers replace set A; the request breaks half-way, after wireguard-go applied part of it.
        var big = setA with
        {
            ListenPort = 42001,
            Peers = [.. Enumerable.Range(0, 300).Select(i => new WgPeerConfig(X25519.GenerateKeyPair().PublicKey)
            {
                AllowedIPs = [IPNetwork.Parse($"10.8.{i >> 8}.{i & 255}/32")],
                PersistentKeepalive = 15,
            })],
        };
        var bigKeys = big.Peers.Select(p => p.PublicKey.ToString()).ToHashSet();
        int halfApplied = 0;
        breaking.BreakNextSet = async () =>
        {
            var mid = WgDumpReader.Parse(await lab.WgAsync(ns, "show", wg, "dump"));
            halfApplied = mid.Peers.Count(p => bigKeys.Contains(p.PublicKey));
        };
        var e = await Assert.ThrowsAsync<WireGuardTransportException>(() => configurator.ApplyAsync(wg, big));
        Assert.IsType<IOException>(e.InnerException);
        Assert.True(breaking.PrefixBytesSent > 0);
        Assert.True(halfApplied is > 0 and < 300, $"the broken request should have applied part of the plan; {halfApplied} of 300 new peers were present");

        // The official wg tool sees set A again: the configurator restored it.
        await AssertDumpMatches(lab, ns, wg, setA);
    }

    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task Auto_selection_picks_the_kernel_exactly_when_the_wireguard_genl_family_exists()
    {
        await using var lab = new NetnsLab();
        var ns = await lab.AddNamespaceAsync("s");
        // Creating a wireguard link autoloads the module where one exists; afterwards the genl family decides.
        var create = await ProcessRunner.RunAsync("ip", ["-n", ns, "link", "add", lab.Prefix + "k", "type", "wireguard"]);
        var detected = WireGuardBackendSelector.Detect(lab.NamespacePath(ns));
        Assert.Equal(create.ExitCode == 0 ? WireGuardBackendKind.Kernel : WireGuardBackendKind.Userspace, detected);
        using var forced = WireGuardBackendSelector.Create(WireGuardBackendKind.Userspace, lab.WireGuardGoOptions(ns), lab.NamespacePath(ns));
        Assert.Equal(WireGuardBackendKind.Userspace, forced.Kind);
        await forced.EnsureInterfaceAsync(lab.Prefix + "u");
        var device = await forced.GetDeviceAsync(lab.Prefix + "u");
        Assert.Empty(device.Peers);
        await forced.DeleteInterfaceAsync(lab.Prefix + "u");
    }

    private static async Task AssertDumpMatches(NetnsLab lab, string ns, string wg, WgDeviceConfig desired)
    {
        var dump = WgDumpReader.Parse(await lab.WgAsync(ns, "show", wg, "dump"));
        Assert.Equal(desired.PrivateKey.ToString(), dump.PrivateKey);
        Assert.Equal(desired.ListenPort, dump.ListenPort);
        var expected = desired.Peers
            .Select(p => $"{p.PublicKey} {(p.Endpoint is null ? "(none)" : p.Endpoint.ToString())} {WgDumpReader.Normalize(string.Join(',', p.AllowedIPs))} {(p.PersistentKeepalive == 0 ? "off" : p.PersistentKeepalive.ToString(System.Globalization.CultureInfo.InvariantCulture))}")
            .Order(StringComparer.Ordinal);
        var actual = dump.Peers
            .Select(p => $"{p.PublicKey} {p.Endpoint} {WgDumpReader.Normalize(p.AllowedIPs)} {p.Keepalive}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }
}
