using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Dns.Zone;
using Appliance.Gateway.Model;

namespace Appliance.Agent.Gateway;

/// <summary>Turns the node's desired state into the gateway library's inputs: the firewall spec and the DNS zone (pure).</summary>
public static class GatewayTranslator
{
    /// <summary>
    /// The firewall spec of the node's roles and access-policy filter at <paramref name="now"/>, or null when it runs
    /// neither. A node with a filter but no role gets a spec of its mesh ranges (the subnets of its interface
    /// addresses), its own addresses and the filter: an inbound filter on its mesh interface and nothing else, plus,
    /// on a relay, the filter's forward rules between its peers. A relay with neither keeps no firewall of ours.
    /// </summary>
    public static GatewayFirewallSpec? ToFirewallSpec(string meshInterface, NodeConfigDto config, DateTimeOffset now)
    {
        var filter = config.Filter is { IsNone: false } f ? f : null;
        if (config.Gateway is not { IsEmpty: false } role)
        {
            if (filter is null)
            {
                return null;
            }
            var own = MeshTranslator.Addresses(config);
            return new GatewayFirewallSpec
            {
                MeshInterface = meshInterface,
                MeshRanges = [.. own.Select(a => IpPrefix.Subnet(a.Address, a.Prefix).ToString()).Distinct()],
                MeshAddresses = [.. own.Select(a => a.Address.ToString())],
                ListenPort = config.Interface.ListenPort,
                Filter = filter,
                // A relay under a policy forwards between its peers only what the policy allows them (issue #18).
                Relay = config.Interface.Relay,
            };
        }
        return new GatewayFirewallSpec
        {
            MeshInterface = meshInterface,
            MeshRanges = role.MeshRanges,
            // The gateway's own side of the mesh: DNS there (and WireGuard, ping) is all the mesh may reach on it.
            MeshAddresses = [.. MeshTranslator.Addresses(config).Select(a => a.Address)
                .Where(a => role.MeshRanges.Any(r => IPNetwork.TryParse(r, out var n) && n.Contains(a))).Select(a => a.ToString())],
            ListenPort = config.Interface.ListenPort,
            Ingress = role.Ingress is { } ingress ? new IngressSpec
            {
                Nat = ingress.Nat,
                // Disabled and expired clients stay in the spec so their traffic is dropped, not merely unrouted.
                Clients = [.. ingress.Clients.Select(c => new ExtClientSpec { Name = c.Name, Addresses = c.Addresses, Allowed = MeshTranslator.IsActive(c, now) })],
            } : null,
            Egress = role.Egress is { } egress ? new EgressSpec { Ranges = egress.Ranges, Nat = egress.Nat } : null,
            RemoteRanges = role.Egress is null ? [] : role.RemoteRanges,
            Filter = filter,
            // A gateway that is also a relay must let the pairs it carries through its forward chain (issue #18).
            Relay = config.Interface.Relay,
        };
    }

    /// <summary>Where the DNS server for ext clients listens: the node's mesh IPv4 address, when its ingress role asks for DNS.</summary>
    public static IPAddress? DnsAddress(NodeConfigDto config) =>
        config.Gateway?.Ingress is { Dns: true }
            ? MeshTranslator.Addresses(config).Select(a => a.Address).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            : null;

    /// <summary>
    /// The zone the gateway serves: every name of <see cref="MeshTranslator.HostNames"/> relative to the zone (nodes,
    /// ext clients, A/AAAA entries), plus CNAME entries resolved to their in-zone target's addresses.
    /// </summary>
    public static DnsMeshZone ToDnsZone(NodeConfigDto config)
    {
        var zone = MeshTranslator.Zone(config);
        var suffix = "." + zone;
        var byName = MeshTranslator.HostNames(config)
            .Where(n => n.Name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            .GroupBy(n => n.Name[..^suffix.Length], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Select(n => n.Address).Distinct().ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var cname in (config.Dns?.Records ?? []).Where(r => r.Type == "CNAME"))
        {
            var target = cname.Value.TrimEnd('.');
            target = target.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? target[..^suffix.Length] : target;
            if (byName.TryGetValue(target, out var addresses) && !byName.ContainsKey(cname.Name))
            {
                byName[cname.Name] = addresses;
            }
        }
        var ranges = (config.Gateway?.MeshRanges ?? []).Select(IPNetwork.Parse).ToList();
        return new DnsMeshZone(zone, [.. byName.Select(kv => new DnsHostEntry(kv.Key, kv.Value))], ranges);
    }
}
