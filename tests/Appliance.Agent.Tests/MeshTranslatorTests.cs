using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class MeshTranslatorTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Desired_state_becomes_wireguard_config_addresses_routes_and_names()
    {
        var peerKey = X25519.GenerateKeyPair().PublicKey.ToString();
        var config = new NodeConfigDto("me", "alpha", 4, new NodeInterfaceDto("home", ["10.10.0.1/24", "fd10::1/64"], 51999, 1380),
        [
            new PeerDto("p1", "beta", peerKey, ["10.10.0.2/32", "fd10::2/128", "192.168.50.0/24"], "192.0.2.7:51821", ["192.0.2.7:51821"], 25),
            new PeerDto("p2", "gamma", "not-a-key", ["10.10.0.3/32"], null, [], 25),
        ]);
        var state = JoinCommandTests.SampleState();
        var device = MeshTranslator.ToDevice(state, config);
        Assert.Equal(51999, device.ListenPort);
        var peer = Assert.Single(device.Peers); // a peer with an unusable key is left out, not fatal
        Assert.Equal(peerKey, peer.PublicKey.ToString());
        Assert.Equal(IPEndPoint.Parse("192.0.2.7:51821"), peer.Endpoint);
        Assert.Equal(25, peer.PersistentKeepalive);
        Assert.Equal(3, peer.AllowedIPs.Count);

        Assert.Equal([(IPAddress.Parse("10.10.0.1"), 24), (IPAddress.Parse("fd10::1"), 64)], MeshTranslator.Addresses(config));
        // Peer addresses inside the interface subnets need no route; the LAN behind beta does.
        Assert.Equal([IPNetwork.Parse("192.168.50.0/24")], MeshTranslator.Routes(config));
        Assert.Equal(["alpha.home", "alpha.home", "beta.home", "beta.home", "gamma.home"], MeshTranslator.HostNames(config).Select(n => n.Name));
    }
}
