using System.Net;
using Appliance.Contracts;
using Appliance.TestSupport;

namespace Appliance.WireGuard.Tests;

public sealed class WgReconcilerTests
{
    private static readonly WgKey Priv = WgGenlChunkingTests.Key(100);
    private static WgKey K(int i) => WgGenlChunkingTests.Key(i);
    private static IPNetwork N(string s) => IPNetwork.Parse(s);

    private static WgDevice Current(params WgPeer[] peers) => new("wg0") { PrivateKey = Priv, ListenPort = 51820, Peers = peers };

    private static WgDeviceConfig Desired(params WgPeerConfig[] peers) => new(Priv) { ListenPort = 51820, Peers = peers };

    public static TheoryData<string> Rows => [.. Cases.Keys];

    private static readonly Dictionary<string, (WgDevice Current, WgDeviceConfig Desired, string Expected)> Cases = new()
    {
        ["unchanged state gives an empty plan"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32")], Endpoint = IPEndPoint.Parse("192.0.2.1:1"), RxBytes = 5, LastHandshake = DateTimeOffset.UnixEpoch }),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32")], Endpoint = IPEndPoint.Parse("192.0.2.1:1") }),
            ""),
        ["roamed endpoint is left alone when the desired one is unset"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32")], Endpoint = IPEndPoint.Parse("198.51.100.9:777") }),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32")] }),
            ""),
        ["new peer is added whole"] = (
            Current(),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32")], PersistentKeepalive = 25 }),
            "add K1 ka=25 ips=10.0.0.1/32"),
        ["missing peer is removed"] = (
            Current(new WgPeer(K(1)), new WgPeer(K(2))),
            Desired(new WgPeerConfig(K(2))),
            "remove K1"),
        ["grown allowed IPs are appended, not replaced"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32")] }),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32"), N("10.1.0.0/16")] }),
            "update K1 ips=10.1.0.0/16"),
        ["shrunk allowed IPs are replaced"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32"), N("10.1.0.0/16")] }),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32")] }),
            "update K1 replace ips=10.0.0.1/32"),
        ["same allowed IPs in another order are unchanged"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.1.0.0/16"), N("10.0.0.1/32")] }),
            Desired(new WgPeerConfig(K(1)) { AllowedIPs = [N("10.0.0.1/32"), N("10.1.0.0/16")] }),
            ""),
        ["keepalive and endpoint changes only touch those fields"] = (
            Current(new WgPeer(K(1)) { PersistentKeepalive = 25, Endpoint = IPEndPoint.Parse("192.0.2.1:1") }),
            Desired(new WgPeerConfig(K(1)) { PersistentKeepalive = 0, Endpoint = IPEndPoint.Parse("[2001:db8::1]:1") }),
            "update K1 ep=[2001:db8::1]:1 ka=0"),
        ["removals come before additions"] = (
            Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32")] }),
            Desired(new WgPeerConfig(K(2)) { AllowedIPs = [N("10.0.0.1/32")] }),
            "remove K1; add K2 ips=10.0.0.1/32"),
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Rows))]
    public void Diff(string row)
    {
        var (current, desired, expected) = Cases[row];
        Assert.Equal(expected, Describe(WgReconciler.Diff(current, desired)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Device_fields_change_only_when_asked()
    {
        var current = Current();
        Assert.True(WgReconciler.Diff(current, new WgDeviceConfig(Priv)).IsEmpty); // ListenPort/FwMark null: leave
        var plan = WgReconciler.Diff(current, new WgDeviceConfig(K(7)) { ListenPort = 4000, FwMark = 0x10 });
        Assert.Equal(K(7), plan.PrivateKey);
        Assert.Equal(4000, plan.ListenPort);
        Assert.Equal(0x10u, plan.FwMark);
        Assert.False(plan.ReplacePeers);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Duplicate_desired_peers_are_rejected()
    {
        Assert.Throws<WgPlanValidationException>(() => WgReconciler.Diff(Current(), Desired(new WgPeerConfig(K(1)), new WgPeerConfig(K(1)))));
    }

    public static TheoryData<string, WgDevicePlan> InvalidPlans => new()
    {
        { "zero public key", new WgDevicePlan { Peers = [new WgPeerChange(default)] } },
        { "keepalive above 65535", new WgDevicePlan { Peers = [new WgPeerChange(K(1)) { PersistentKeepalive = 70000 }] } },
        { "endpoint port 0", new WgDevicePlan { Peers = [new WgPeerChange(K(1)) { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) }] } },
        { "listen port above 65535", new WgDevicePlan { ListenPort = 70000 } },
        { "remove with fields", new WgDevicePlan { Peers = [new WgPeerChange(K(1)) { Remove = true, AllowedIPs = [N("10.0.0.0/8")] }] } },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(InvalidPlans))]
    public void Invalid_plans_are_rejected_before_anything_is_sent(string name, WgDevicePlan plan)
    {
        _ = name;
        Assert.Throws<WgPlanValidationException>(() => WgPlanValidator.Validate(plan));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_failed_apply_is_rolled_back_to_the_previous_configuration()
    {
        var backend = new FlakyBackend(Current(new WgPeer(K(1)) { AllowedIPs = [N("10.0.0.1/32")] }));
        var configurator = new WireGuardConfigurator(backend);
        var desired = Desired(new WgPeerConfig(K(2)) { AllowedIPs = [N("10.0.0.2/32")] });
        await Assert.ThrowsAsync<WireGuardOperationException>(() => configurator.ApplyAsync("wg0", desired));
        var after = await backend.GetDeviceAsync("wg0");
        var peer = Assert.Single(after.Peers);
        Assert.Equal(K(1), peer.PublicKey);
        Assert.Equal([N("10.0.0.1/32")], peer.AllowedIPs);
    }

    private static string Describe(WgDevicePlan plan) => string.Join("; ", plan.Peers.Select(p =>
        p.Remove ? $"remove {Name(p.PublicKey)}" :
        string.Join(' ', new[]
        {
            (p.UpdateOnly ? "update " : "add ") + Name(p.PublicKey),
            p.ReplaceAllowedIPs ? "replace" : null,
            p.Endpoint is null ? null : "ep=" + p.Endpoint,
            p.PersistentKeepalive is null ? null : "ka=" + p.PersistentKeepalive,
            p.AllowedIPs.Count == 0 ? null : "ips=" + string.Join(',', p.AllowedIPs),
        }.Where(s => s is not null))));

    private static string Name(WgKey k)
    {
        for (int i = 0; i < 200; i++)
        {
            if (K(i) == k)
            {
                return "K" + i;
            }
        }
        return k.ToString();
    }

    /// <summary>An in-memory device that applies the first peer change of a plan, then fails: a half-applied plan.</summary>
    private sealed class FlakyBackend(WgDevice device) : IWireGuardBackend
    {
        private WgDevice _device = device;
        private bool _failed;

        public WireGuardBackendKind Kind => WireGuardBackendKind.Userspace;

        public Task EnsureInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task DeleteInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default) => Task.FromResult(_device);

        public Task ApplyAsync(string interfaceName, WgDevicePlan plan, CancellationToken cancellationToken = default)
        {
            foreach (var change in plan.Peers)
            {
                var peers = _device.Peers.Where(p => p.PublicKey != change.PublicKey).ToList();
                if (!change.Remove)
                {
                    var old = _device.Peers.FirstOrDefault(p => p.PublicKey == change.PublicKey);
                    peers.Add(new WgPeer(change.PublicKey) { AllowedIPs = change.ReplaceAllowedIPs || old is null ? change.AllowedIPs : [.. old.AllowedIPs, .. change.AllowedIPs] });
                }
                _device = _device with { Peers = peers };
                if (!_failed)
                {
                    _failed = true;
                    throw new WireGuardOperationException(interfaceName, "set", Netlink.Errno.ENOMEM);
                }
            }
            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }
    }
}
