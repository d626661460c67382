using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Agent.Nat;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;
using Appliance.WireGuard;

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
        var device = MeshTranslator.ToDevice(state, config, DateTimeOffset.UnixEpoch);
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

    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The same 32 bytes in base64 with the two unused low bits of the last character set differently.</summary>
    internal static string OtherSpelling(string canonical)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return canonical[..42] + alphabet[alphabet.IndexOf(canonical[42], StringComparison.Ordinal) ^ 1] + "=";
    }

    /// <summary>A gateway whose desired state repeats one key three times: two peer nodes (two spellings) and an ext client.</summary>
    internal static NodeConfigDto RepeatingConfig(string repeated)
    {
        var config = Gateway(new ExtClientPeerDto("ext-1", "phone", repeated, ["10.10.0.50/32"], true, null), Client("ext-2", "10.10.0.51/32"));
        return config with
        {
            Peers = [.. config.Peers,
                new PeerDto("p2", "first", repeated, ["10.10.0.3/32"], "192.0.2.3:51821", ["192.0.2.3:51821"], 25),
                new PeerDto("p3", "again", OtherSpelling(repeated), ["10.10.0.4/32"], "192.0.2.4:51821", ["192.0.2.4:51821"], 25)],
        };
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_repeated_public_key_is_applied_once_and_each_repeat_is_named()
    {
        var repeated = X25519.GenerateKeyPair().PublicKey.ToString();
        var config = RepeatingConfig(repeated);
        var device = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now);
        // beta, first (the repeated key's first holder), the other ext client; "again" and "phone" are left out.
        Assert.Equal(["10.10.0.2/32", "10.10.0.3/32", "10.10.0.51/32"], device.Peers.Select(p => p.AllowedIPs.Single().ToString()));
        Assert.Equal(device.Peers.Count, device.Peers.Select(p => p.PublicKey).Distinct().Count());

        var repeats = MeshTranslator.RepeatedPeers(config, Now);
        Assert.Equal(2, repeats.Count);
        Assert.Contains("peer node 'again' (p3)", repeats[0], StringComparison.Ordinal);
        Assert.Contains("peer node 'first' (p2)", repeats[0], StringComparison.Ordinal);
        Assert.Contains("ext client 'phone' (ext-1)", repeats[1], StringComparison.Ordinal);
        Assert.Empty(MeshTranslator.RepeatedPeers(Gateway(Client("ext-2", "10.10.0.51/32")), Now));
    }

    private static ExtClientPeerDto Client(string id, string address, bool enabled = true, DateTimeOffset? expires = null) =>
        new(id, id, X25519.GenerateKeyPair().PublicKey.ToString(), [address], enabled, expires);

    private static NodeConfigDto Gateway(params ExtClientPeerDto[] clients) =>
        new("gw", "gw", 9, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420),
            [new PeerDto("p1", "beta", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.2/32"], null, [], 25)],
            new GatewayRoleDto { Ingress = new IngressRoleDto { Nat = true, Clients = clients }, MeshRanges = ["10.10.0.0/24"] },
            new MeshDnsDto { Zone = "home.mesh.internal", Records = [new DnsRecordDto("phone", "A", "10.10.0.50"), new DnsRecordDto("www", "CNAME", "gw")] });

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_ingress_gateway_has_its_enabled_unexpired_ext_clients_as_peers()
    {
        var config = Gateway(
            Client("on", "10.10.0.50/32"),
            Client("off", "10.10.0.51/32", enabled: false),
            Client("expired", "10.10.0.52/32", expires: Now.AddSeconds(-1)),
            Client("later", "10.10.0.53/32", expires: Now.AddMinutes(5)),
            Client("sooner", "10.10.0.54/32", expires: Now.AddMinutes(1)),
            new ExtClientPeerDto("bad", "bad", "not-a-key", ["10.10.0.55/32"], true, null));
        var device = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now);
        Assert.Equal(["10.10.0.2/32", "10.10.0.50/32", "10.10.0.53/32", "10.10.0.54/32"],
            device.Peers.Select(p => Assert.Single(p.AllowedIPs).ToString()).Order());
        Assert.All(device.Peers.Skip(1), p => Assert.Null(p.Endpoint));
        Assert.Equal(Now.AddMinutes(1), MeshTranslator.NextExpiry(config, Now));
        Assert.Equal(Now.AddMinutes(5), MeshTranslator.NextExpiry(config, Now.AddMinutes(1)));
        // Once the last one expires it is no longer a peer, and nothing else is due.
        Assert.Equal(2, MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now.AddMinutes(5)).Peers.Count);
        Assert.Null(MeshTranslator.NextExpiry(config, Now.AddMinutes(5)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Names_live_in_the_servers_zone_and_include_ext_clients_and_entries_but_not_a_gateways_other_addresses()
    {
        var config = Gateway() with
        {
            Peers = [new PeerDto("p1", "beta", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.2/32", "10.10.0.60/32", "192.168.1.0/24"], null, [], 25)],
        };
        Assert.Equal(
            [("gw.home.mesh.internal", "10.10.0.1"), ("beta.home.mesh.internal", "10.10.0.2"), ("phone.home.mesh.internal", "10.10.0.50")],
            MeshTranslator.HostNames(config).Select(n => (n.Name, n.Address.ToString())));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_internet_gateway_gets_the_default_routes_split_in_halves_and_the_server_and_endpoints_bypass_it()
    {
        var gwKey = X25519.GenerateKeyPair().PublicKey.ToString();
        var config = new NodeConfigDto("me", "alpha", 4, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420, InternetGateway: "gw"),
        [
            new PeerDto("gw", "exit", gwKey, ["10.10.0.2/32"], "198.51.100.2:51821", ["198.51.100.2:51821", "192.0.2.2:51821"], 25),
            new PeerDto("p3", "gamma", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.3/32"], "198.51.100.3:51821", ["198.51.100.3:51821"], 25),
        ]);
        var state = JoinCommandTests.SampleState() with { Server = "https://server.example:8443", MqttUrl = "mqtts://203.0.113.9:8883" };
        var device = MeshTranslator.ToDevice(state, config, Now);
        // IPv4 only: this node has no IPv6 address, so ::/0 is not taken over.
        Assert.Equal(["10.10.0.2/32", "0.0.0.0/0"], device.Peers.Single(p => p.PublicKey.ToString() == gwKey).AllowedIPs.Select(a => a.ToString()));
        Assert.Equal(["0.0.0.0/1", "128.0.0.0/1"], MeshTranslator.Routes(config).Select(r => r.ToString()));
        // The server, the broker and each peer's endpoint in use; gw's other reported endpoint (192.0.2.2) gets no route.
        Assert.Equal(["192.0.2.10", "203.0.113.9", "198.51.100.2", "198.51.100.3"],
            MeshTranslator.BypassHosts(state, config, host => host == "server.example" ? [IPAddress.Parse("192.0.2.10")] : []).Select(a => a.ToString()));
        // A peer that roamed: where WireGuard reaches it now needs the route too.
        var roamed = new Dictionary<string, IPEndPoint> { [gwKey] = IPEndPoint.Parse("192.0.2.77:40000") };
        Assert.Equal(["192.0.2.10", "203.0.113.9", "198.51.100.2", "192.0.2.77", "198.51.100.3"],
            MeshTranslator.BypassHosts(state, config, host => host == "server.example" ? [IPAddress.Parse("192.0.2.10")] : [], roamed).Select(a => a.ToString()));

        // Endpoints no peer can be at are never pulled out of the tunnel, whatever a node reported.
        var odd = config with
        {
            Peers = [.. new[] { "0.0.0.0:51821", "[::]:51821", "255.255.255.255:51821", "224.0.0.1:51821", "[ff02::1]:51821", "127.0.0.1:51821", "[::ffff:224.0.0.1]:51821" }
                .Select((e, i) => new PeerDto("x" + i, "x" + i, X25519.GenerateKeyPair().PublicKey.ToString(), [$"10.10.0.{10 + i}/32"], e, [e], 25)), config.Peers[0]],
        };
        Assert.Equal(["203.0.113.9", "198.51.100.2"], MeshTranslator.BypassHosts(state, odd, _ => []).Select(a => a.ToString()));

        var plain = config with { Interface = config.Interface with { InternetGateway = null } };
        Assert.Empty(MeshTranslator.Routes(plain));
        Assert.Empty(MeshTranslator.BypassHosts(state, plain, _ => []));
        // A gateway that is not (or no longer) a peer takes nothing over.
        var gone = config with { Peers = [config.Peers[1]] };
        Assert.Empty(MeshTranslator.Routes(gone));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_internet_gateway_reached_through_a_relay_has_its_default_routes_on_the_relays_peer_and_back_when_direct()
    {
        var gwKey = X25519.GenerateKeyPair().PublicKey.ToString();
        var relayKey = X25519.GenerateKeyPair().PublicKey.ToString();
        var config = new NodeConfigDto("me", "alpha", 4, new NodeInterfaceDto("home", ["10.10.0.1/24", "fd10::1/64"], 51821, 1420, InternetGateway: "gw"),
        [
            new PeerDto("gw", "exit", gwKey, ["10.10.0.2/32", "fd10::2/128"], "198.51.100.2:51821", ["198.51.100.2:51821"], 25),
            new PeerDto("r1", "relay", relayKey, ["10.10.0.9/32"], "203.0.113.9:51821", ["203.0.113.9:51821"], 25, Relay: true),
        ]);
        var state = JoinCommandTests.SampleState();
        string[] Allowed(WgDeviceConfig d, string key) => [.. d.Peers.Single(p => p.PublicKey.ToString() == key).AllowedIPs.Select(a => a.ToString())];

        // Relayed: the gateway's addresses and both default routes ride on the relay's entry; the gateway's own has none.
        var relayed = new Dictionary<string, PeerPath>(StringComparer.Ordinal)
        {
            ["gw"] = new(PeerPathKind.Relayed, IPEndPoint.Parse("198.51.100.2:51821"), "r1"),
            ["r1"] = new(PeerPathKind.Direct, null),
        };
        var device = MeshTranslator.ToDevice(state, config, Now, relayed);
        Assert.Empty(Allowed(device, gwKey));
        Assert.Equal(["10.10.0.9/32", "10.10.0.2/32", "fd10::2/128", "0.0.0.0/0", "::/0"], Allowed(device, relayKey));

        // Direct again (a late handshake): the default routes go back to the gateway's own entry.
        var direct = new Dictionary<string, PeerPath>(StringComparer.Ordinal) { ["gw"] = new(PeerPathKind.Direct, null), ["r1"] = new(PeerPathKind.Direct, null) };
        device = MeshTranslator.ToDevice(state, config, Now, direct);
        Assert.Equal(["10.10.0.2/32", "fd10::2/128", "0.0.0.0/0", "::/0"], Allowed(device, gwKey));
        Assert.Equal(["10.10.0.9/32"], Allowed(device, relayKey));

        // Still probing (no path yet) or no internet gateway chosen: the relay carries no default route.
        var probing = new Dictionary<string, PeerPath>(StringComparer.Ordinal) { ["gw"] = new(PeerPathKind.Probing, IPEndPoint.Parse("198.51.100.2:51821")) };
        Assert.Equal(["10.10.0.9/32"], Allowed(MeshTranslator.ToDevice(state, config, Now, probing), relayKey));
        var none = config with { Interface = config.Interface with { InternetGateway = null } };
        Assert.Equal(["10.10.0.9/32", "10.10.0.2/32", "fd10::2/128"], Allowed(MeshTranslator.ToDevice(state, none, Now, relayed), relayKey));
    }
}
