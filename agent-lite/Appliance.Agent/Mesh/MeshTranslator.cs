using System.Net;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.WireGuard;

namespace Appliance.Agent.Mesh;

/// <summary>Turns the node's desired state into what the kernel needs: a WireGuard config, addresses, routes (pure).</summary>
public static class MeshTranslator
{
    /// <summary>IPv4 and IPv6 default routes: what a peer carries for the nodes that use it as their internet gateway.</summary>
    public static readonly IReadOnlyList<IPNetwork> DefaultRoutes = [IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0")];

    /// <summary>
    /// The WireGuard device: every peer node (the internet gateway's peer also carries the default routes of the
    /// families this node has), and on an ingress gateway every ext client that is enabled and not expired at
    /// <paramref name="now"/>. A public key the desired state repeats is taken once, by its first peer (see
    /// <see cref="RepeatedPeers"/>): one bad entry must not stop every other peer from being applied.
    /// </summary>
    /// <remarks><paramref name="paths"/>: the NAT paths chosen per peer node (issue #18; null: as the server sent them).</remarks>
    public static WgDeviceConfig ToDevice(AgentState state, NodeConfigDto config, DateTimeOffset now, IReadOnlyDictionary<string, Nat.PeerPath>? paths = null) =>
        new(WgKey.Parse(state.PrivateKey))
        {
            ListenPort = config.Interface.ListenPort,
            Peers = [.. DistinctPeers(config, now, repeats: null, new Nat.PathOverlay(config, paths))],
        };

    /// <summary>
    /// The peers of the desired state that repeat a public key an earlier peer (node or ext client) already has, each
    /// as a line for the log naming both; <see cref="ToDevice"/> leaves them out.
    /// </summary>
    public static IReadOnlyList<string> RepeatedPeers(NodeConfigDto config, DateTimeOffset now)
    {
        var repeats = new List<string>();
        _ = DistinctPeers(config, now, repeats, new Nat.PathOverlay(config, null));
        return repeats;
    }

    private static List<WgPeerConfig> DistinctPeers(NodeConfigDto config, DateTimeOffset now, List<string>? repeats, Nat.PathOverlay overlay)
    {
        var peers = new List<WgPeerConfig>();
        var owners = new Dictionary<WgKey, string>();
        foreach (var (who, peer) in Candidates(config, now, overlay))
        {
            // Keys compare as their 32 bytes, so two base64 spellings of one key are a repeat too.
            if (owners.TryGetValue(peer.PublicKey, out var first))
            {
                repeats?.Add($"skipped {who}: it repeats public key {peer.PublicKey} of {first}");
                continue;
            }
            owners.Add(peer.PublicKey, who);
            peers.Add(peer);
        }
        return peers;
    }

    /// <summary>Every peer the desired state names, in order (nodes, then active ext clients), with what it is.</summary>
    private static IEnumerable<(string Who, WgPeerConfig Peer)> Candidates(NodeConfigDto config, DateTimeOffset now, Nat.PathOverlay overlay)
    {
        foreach (var p in config.Peers)
        {
            if (!WgKey.TryParse(p.PublicKey, out var key))
            {
                continue;
            }
            yield return ($"peer node '{p.Name}' ({p.NodeId})", new WgPeerConfig(key)
            {
                Endpoint = overlay.Endpoint(p),
                PersistentKeepalive = overlay.Keepalive(p),
                AllowedIPs = [.. overlay.AllowedIps(p).Select(IPNetwork.Parse), .. overlay.CarriesInternet(p, config.Interface.InternetGateway) ? InternetFamilies(config) : []],
            });
        }
        foreach (var c in ActiveExtClients(config, now))
        {
            yield return ($"ext client '{c.Name}' ({c.Id})", new WgPeerConfig(WgKey.Parse(c.PublicKey)) { AllowedIPs = [.. c.Addresses.Select(IPNetwork.Parse)] });
        }
    }

    /// <summary>The ext clients this gateway accepts now: enabled on the server, not expired, with a well-formed key.</summary>
    public static IEnumerable<ExtClientPeerDto> ActiveExtClients(NodeConfigDto config, DateTimeOffset now) =>
        (config.Gateway?.Ingress?.Clients ?? []).Where(c => IsActive(c, now) && WgKey.TryParse(c.PublicKey, out _));

    public static bool IsActive(ExtClientPeerDto client, DateTimeOffset now) => client.Enabled && (client.ExpiresAt is not { } at || at > now);

    /// <summary>When the set of active ext clients changes next by itself (the earliest future expiry), if ever.</summary>
    public static DateTimeOffset? NextExpiry(NodeConfigDto config, DateTimeOffset now) =>
        (config.Gateway?.Ingress?.Clients ?? []).Where(c => c.Enabled && c.ExpiresAt > now).Min(c => c.ExpiresAt);

    /// <summary>The default routes (0.0.0.0/0, ::/0) for the address families this node has, when it uses an internet gateway.</summary>
    public static IReadOnlyList<IPNetwork> InternetFamilies(NodeConfigDto config) =>
        config.Interface.InternetGateway is null || !config.Peers.Any(p => p.NodeId == config.Interface.InternetGateway) ? []
        : [.. DefaultRoutes.Where(d => Addresses(config).Any(a => a.Address.AddressFamily == d.BaseAddress.AddressFamily))];

    /// <summary>The interface addresses ("10.10.0.2/24" → 10.10.0.2, 24).</summary>
    public static IReadOnlyList<(IPAddress Address, int Prefix)> Addresses(NodeConfigDto config) =>
        [.. config.Interface.Addresses.Select(a =>
        {
            var slash = a.IndexOf('/', StringComparison.Ordinal);
            return (IPAddress.Parse(a.AsSpan(0, slash)), int.Parse(a.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture));
        })];

    /// <summary>
    /// Routes the interface needs: every peer allowed IP the interface's own subnets do not already cover (egress
    /// ranges of gateways among them). A default route is split in two halves (0.0.0.0/1 + 128.0.0.0/1, ::/1 +
    /// 8000::/1) that beat the machine's own default route without replacing it, so taking it away restores everything.
    /// </summary>
    public static IReadOnlyList<IPNetwork> Routes(NodeConfigDto config)
    {
        var subnets = Addresses(config).Select(a => IpPrefix.Subnet(a.Address, a.Prefix)).ToList();
        return [.. config.Peers
            .SelectMany(p => p.AllowedIps.Select(IPNetwork.Parse))
            .Where(n => n.PrefixLength > 0)
            .Where(n => !subnets.Any(s => s.BaseAddress.AddressFamily == n.BaseAddress.AddressFamily && s.PrefixLength <= n.PrefixLength && s.Contains(n.BaseAddress)))
            .Concat(InternetFamilies(config).SelectMany(SplitDefault))
            .Distinct()];
    }

    private static IEnumerable<IPNetwork> SplitDefault(IPNetwork any) => any.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        ? [IPNetwork.Parse("0.0.0.0/1"), IPNetwork.Parse("128.0.0.0/1")]
        : [IPNetwork.Parse("::/1"), IPNetwork.Parse("8000::/1")];

    /// <summary>
    /// Hosts that must stay reachable outside the tunnel when the node sends its internet traffic through a gateway:
    /// the server, the broker, and the endpoint each peer is actually reached at (WireGuard's own packets must not
    /// enter WireGuard): the desired one, and the one WireGuard currently has when the peer roamed elsewhere
    /// (<paramref name="currentEndpoints"/>, by public key). The other endpoints a peer reported get no route: a host
    /// route for each would let any node pull arbitrary addresses out of the tunnel. Addresses no peer can be at
    /// (unspecified, broadcast, multicast, loopback) are skipped.
    /// </summary>
    public static IReadOnlyList<IPAddress> BypassHosts(AgentState state, NodeConfigDto config, Func<string, IEnumerable<IPAddress>> resolve,
        IReadOnlyDictionary<string, IPEndPoint>? currentEndpoints = null)
    {
        if (InternetFamilies(config).Count == 0)
        {
            return [];
        }
        var hosts = new List<IPAddress>();
        foreach (var url in new[] { state.Server, state.MqttUrl }.Concat(state.MqttUrls ?? []).OfType<string>())
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                hosts.AddRange(IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? [ip] : resolve(uri.Host));
            }
        }
        foreach (var p in config.Peers)
        {
            if (p.Endpoint is not null && IPEndPoint.TryParse(p.Endpoint, out var desired))
            {
                hosts.Add(desired.Address);
            }
            if (currentEndpoints is not null && currentEndpoints.TryGetValue(p.PublicKey, out var current))
            {
                hosts.Add(current.Address);
            }
        }
        return [.. hosts.Where(IsUnicastHost).Distinct()];
    }

    /// <summary>Whether a peer or server can be at <paramref name="a"/>: not unspecified, broadcast, multicast or loopback.</summary>
    public static bool IsUnicastHost(IPAddress a) =>
        !IPAddress.IsLoopback(a) && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any) && !a.Equals(IPAddress.Broadcast) &&
        !a.IsIPv6Multicast && !(a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (a.GetAddressBytes()[0] & 0xF0) == 0xE0) &&
        !(a.IsIPv4MappedToIPv6 && !IsUnicastHost(a.MapToIPv4()));

    /// <summary>The zone mesh names live in: the server's (network, or network.suffix), else the network's name.</summary>
    public static string Zone(NodeConfigDto config) => config.Dns?.Zone ?? config.Interface.Network;

    /// <summary>
    /// Mesh names with addresses, for /etc/hosts and the gateway's DNS server: this node and each peer as
    /// <c>name.zone</c> (a peer's own addresses are the first /32 and /128 of its allowed IPs; a gateway's later ones
    /// are ext clients or LAN ranges), then the zone's ext clients and A/AAAA entries from the server.
    /// </summary>
    public static IReadOnlyList<(string Name, IPAddress Address)> HostNames(NodeConfigDto config)
    {
        var zone = Zone(config);
        var list = new List<(string, IPAddress)>();
        foreach (var (address, _) in Addresses(config))
        {
            list.Add(($"{config.Name}.{zone}", address));
        }
        foreach (var p in config.Peers)
        {
            var hosts = p.AllowedIps.Select(IPNetwork.Parse).Where(n => n.PrefixLength is 32 or 128).ToList();
            foreach (var own in hosts.Where(n => n.PrefixLength == 32).Take(1).Concat(hosts.Where(n => n.PrefixLength == 128).Take(1)))
            {
                list.Add(($"{p.Name}.{zone}", own.BaseAddress));
            }
        }
        foreach (var r in config.Dns?.Records ?? [])
        {
            if (r.Type is "A" or "AAAA" && IPAddress.TryParse(r.Value, out var ip))
            {
                list.Add(($"{r.Name}.{zone}", ip));
            }
        }
        return list;
    }
}
