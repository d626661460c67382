using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.Netlink.Route;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>The applier against in-memory WireGuard and rtnetlink: the internet gateway's routes come and go cleanly.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshApplierTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-applier");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_desired_state_that_repeats_a_peer_still_applies_every_other_peer()
    {
        var route = new FakeRouteNetlink();
        route.CreateLink("appliance0", "wireguard");
        var wg = new FakeWireGuardBackend();
        var applier = new MeshApplier(wg, route, _dir.Combine("hosts"));
        var repeated = X25519.GenerateKeyPair().PublicKey.ToString();
        var config = MeshTranslatorTests.RepeatingConfig(repeated);

        await applier.ApplyAsync(JoinCommandTests.SampleState(), config, default);
        var device = wg.TryGet("appliance0")!;
        Assert.Equal(3, device.Peers.Count);
        Assert.Equal(["10.10.0.3/32"], device.Peers.Single(p => p.PublicKey.ToString() == repeated).AllowedIPs.Select(a => a.ToString()));
    }

    [Fact]
    public async Task An_internet_gateway_takes_the_default_route_but_the_server_and_endpoints_bypass_it_and_it_all_goes_away()
    {
        var route = new FakeRouteNetlink();
        var eth0 = route.CreateLink("eth0", "veth");
        route.AddRoute(new RtRoute(IPNetwork.Parse("192.0.2.0/24"), eth0));
        route.AddRoute(new RtRoute(IPNetwork.Parse("0.0.0.0/0"), eth0, Gateway: IPAddress.Parse("192.0.2.1"), Metric: 100));
        var mesh = route.CreateLink("appliance0", "wireguard");
        var wg = new FakeWireGuardBackend();
        var applier = new MeshApplier(wg, route, _dir.Combine("hosts"));
        var state = JoinCommandTests.SampleState() with { Server = "https://203.0.113.9:8443", MqttUrl = "mqtts://203.0.113.9:8883" };
        var config = new NodeConfigDto("n1", "dev", 3, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420, InternetGateway: "gw"),
        [
            // gw also reported an address it is not reached at: that one stays in the tunnel.
            new PeerDto("gw", "exit", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.2/32"], "198.51.100.2:51821", ["198.51.100.2:51821", "198.51.100.99:51821"], 25),
            new PeerDto("p3", "near", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.3/32"], "192.0.2.50:51821", ["192.0.2.50:51821"], 25),
        ]);

        await applier.ApplyAsync(state, config, default);
        var routes = route.GetRoutes();
        Assert.Equal(["0.0.0.0/1", "128.0.0.0/1"], routes.Where(r => r.OutInterfaceIndex == mesh).Select(r => r.Destination.ToString()).Order());
        // The server and the far endpoint go around the tunnel through the old default route; the near one needs nothing.
        var bypass = routes.Where(r => r.Metric == MeshApplier.BypassMetric).ToList();
        Assert.Equal(["198.51.100.2/32", "203.0.113.9/32"], bypass.Select(r => r.Destination.ToString()).Order());
        Assert.All(bypass, r => Assert.Equal((eth0, IPAddress.Parse("192.0.2.1")), (r.OutInterfaceIndex, r.Gateway)));
        Assert.Contains(routes, r => r.Destination.PrefixLength == 0 && r.OutInterfaceIndex == eth0); // never replaced

        // Applying the same state again changes nothing; dropping the internet gateway removes exactly ours.
        await applier.ApplyAsync(state, config, default);
        Assert.Equal(routes.Count, route.GetRoutes().Count);
        await applier.ApplyAsync(state, config with { Interface = config.Interface with { InternetGateway = null } }, default);
        Assert.DoesNotContain(route.GetRoutes(), r => r.OutInterfaceIndex == mesh || r.Metric == MeshApplier.BypassMetric);
        Assert.Equal(2, route.GetRoutes().Count);

        await applier.ApplyAsync(state, config, default);
        await applier.RemoveAsync(state, default);
        // The interface's own routes go with it (the kernel's doing); the bypass routes elsewhere are removed by us.
        Assert.Null(wg.TryGet("appliance0"));
        Assert.DoesNotContain(route.GetRoutes(), r => r.Metric == MeshApplier.BypassMetric);
        Assert.Contains(route.GetRoutes(), r => r.Destination.PrefixLength == 0 && r.OutInterfaceIndex == eth0);
    }
}
