using Appliance.Agent.Hardware;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Hardware.Display;
using Appliance.TestSupport;
using Appliance.WireGuard;

namespace Appliance.Agent.Tests.Hardware;

/// <summary>What the agent gives its status display: node, addresses, broker link, recent handshakes of peers and ext clients.</summary>
public sealed class DisplayHostTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static readonly AgentState State = new()
    {
        Server = "https://server.example:8443", NodeId = "n1", Name = "office-pi", Credential = "c", PrivateKey = "k", PublicKey = "p",
        Interface = "appl0", Ipv4Address = "10.10.0.2", Ipv6Address = "fd10::2", ListenPort = 51821,
        Network = new NetworkSettingsDto("home", "10.10.0.0/24", "fd10::/64", 51821, 1420, 20),
    };

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Peers_and_ext_clients_count_as_active_with_a_handshake_of_at_most_180_s_matched_by_key()
    {
        var (a, b, c, client1, client2) = (WgKey.Random(), WgKey.Random(), WgKey.Random(), WgKey.Random(), WgKey.Random());
        var config = new NodeConfigDto("n1", "office-pi", 7, new NodeInterfaceDto("home", ["10.10.0.2/24"], 51821, 1420),
            [Peer("a", a), Peer("b", b), Peer("c", c)])
        {
            Gateway = new GatewayRoleDto { Ingress = new IngressRoleDto { Clients = [Client("phone", client1), Client("laptop", client2)] } },
        };
        var device = new WgDevice("appl0")
        {
            Peers =
            [
                new WgPeer(a) { LastHandshake = Now.AddSeconds(-180) },  // just recent
                new WgPeer(b) { LastHandshake = Now.AddSeconds(-181) },  // stale
                new WgPeer(c) { LastHandshake = DateTimeOffset.UnixEpoch }, // never (the kernel's zero)
                new WgPeer(client1) { LastHandshake = Now.AddSeconds(-5) },
                new WgPeer(client2),
            ],
        };

        var status = DisplayHost.Status(State, config, device, connected: true, Now, TimeSpan.FromHours(30), TimeSpan.FromMinutes(3));

        Assert.Equal(("office-pi", "home"), (status.NodeName, status.Network));
        Assert.Equal(["10.10.0.2", "fd10::2"], status.MeshAddresses);
        Assert.Equal(ServerLink.Connected, status.Server);
        Assert.Equal((1, 3), (status.PeersRecent, status.PeersTotal));
        Assert.Equal((1, 2), (status.GatewayClientsRecent, status.GatewayClientsTotal));
        Assert.Equal((TimeSpan.FromHours(30), TimeSpan.FromMinutes(3)), (status.SystemUptime, status.AgentUptime));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void No_state_is_a_box_not_joined_no_device_no_handshakes_and_no_ingress_no_clients_page()
    {
        Assert.False(DisplayHost.Status(null, null, null, null, Now, TimeSpan.Zero, TimeSpan.Zero).Joined);

        var config = new NodeConfigDto("n1", "office-pi", 7, new NodeInterfaceDto("home", ["10.10.0.2/24"], 51821, 1420), [Peer("a", WgKey.Random())]);
        var status = DisplayHost.Status(State, config, device: null, connected: false, Now, TimeSpan.Zero, TimeSpan.Zero);

        Assert.Equal(ServerLink.Unreachable, status.Server);
        Assert.Equal((0, 1), (status.PeersRecent, status.PeersTotal));
        Assert.False(status.IsGateway);
        Assert.Equal(ServerLink.Unknown, DisplayHost.Status(State, null, null, null, Now, TimeSpan.Zero, TimeSpan.Zero).Server);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task No_display_configured_or_no_bus_is_no_loop_and_at_most_one_log_line()
    {
        using var dir = new TempDirectory("apdisp-agent");
        var store = new StateStore(dir.Path);
        var log = new StringWriter();
        using var backend = new FakeWireGuardBackend();
        var daemon = new Mesh.MeshDaemon(store, new Mesh.MeshApplier(backend, new FakeRouteNetlink(), dir.Combine("hosts")), log);

        var none = DisplayHost.Start(null, store, daemon, backend, log, CancellationToken.None);
        var missing = DisplayHost.Start(new DisplayAddress(1000, 0x3C), store, daemon, backend, log, CancellationToken.None);
        none.NextPage(); // nothing to cycle: no error either

        await none.Running;
        await missing.Running;
        Assert.Equal("display: no /dev/i2c-1000: the I2C bus is not enabled (Raspberry Pi: dtparam=i2c_arm=on) or i2c-dev is not loaded; running without it", log.ToString().Trim());
    }

    private static PeerDto Peer(string name, WgKey key) => new(name, name, key.ToString(), ["10.10.0.9/32"], null, [], 25);

    private static ExtClientPeerDto Client(string name, WgKey key) => new(name, name, key.ToString(), ["10.10.0.100/32"], true, null);
}
