using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;

namespace Appliance.Gateway.Model;

/// <summary>Checks a <see cref="GatewayFirewallSpec"/> completely before anything is touched (pure).</summary>
internal static class GatewaySpecValidator
{
    /// <summary>Linux IFNAMSIZ minus the terminating NUL.</summary>
    private const int MaxInterfaceName = 15;

    public static GatewayFirewallPlan Validate(GatewayFirewallSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var iface = ValidateInterface(spec.MeshInterface);

        if (spec.MeshRanges.Count == 0)
        {
            throw new GatewaySpecException("meshRanges", "", "at least one mesh range is needed");
        }
        var mesh = ParseList(spec.MeshRanges, "meshRanges");
        foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            var ofFamily = GatewayFirewallPlan.Of(mesh, family);
            if (ofFamily.Count > 1)
            {
                throw new GatewaySpecException("meshRanges", ofFamily[1].ToString(), $"a mesh has one {FamilyName(family)} range, already have {ofFamily[0]}");
            }
            if (ofFamily.Count == 1 && ofFamily[0].PrefixLength == 0)
            {
                throw new GatewaySpecException("meshRanges", ofFamily[0].ToString(), "a mesh range cannot be the whole address space");
            }
        }

        var self = new List<IPAddress>();
        for (var i = 0; i < spec.MeshAddresses.Count; i++)
        {
            var field = $"meshAddresses[{i}]";
            var address = ParseHostAddress(spec.MeshAddresses[i], field);
            if (!mesh.Any(m => m.Contains(address)))
            {
                throw new GatewaySpecException(field, spec.MeshAddresses[i], $"this node's mesh address is outside the mesh ranges ({string.Join(", ", mesh)})");
            }
            if (self.Contains(address))
            {
                throw new GatewaySpecException(field, spec.MeshAddresses[i], "listed twice");
            }
            self.Add(address);
        }
        if (spec.ListenPort is < 0 or > 65535)
        {
            throw new GatewaySpecException("listenPort", spec.ListenPort.ToString(CultureInfo.InvariantCulture), "a port is 0..65535 (0: none)");
        }

        var allowed = new List<IPAddress>();
        var denied = new List<IPAddress>();
        if (spec.Ingress is { } ingress)
        {
            var seen = new Dictionary<IPAddress, string>();
            for (var i = 0; i < ingress.Clients.Count; i++)
            {
                var client = ingress.Clients[i];
                var field = $"ingress.clients[{i}]";
                if (string.IsNullOrWhiteSpace(client.Name))
                {
                    throw new GatewaySpecException(field + ".name", client.Name, "an ext client needs a name");
                }
                if (client.Addresses.Count == 0)
                {
                    throw new GatewaySpecException(field + ".addresses", client.Name, "an ext client needs at least one address");
                }
                for (var j = 0; j < client.Addresses.Count; j++)
                {
                    var addrField = $"{field}.addresses[{j}]";
                    var address = ParseHostAddress(client.Addresses[j], addrField);
                    if (!mesh.Any(m => m.Contains(address)))
                    {
                        throw new GatewaySpecException(addrField, client.Addresses[j],
                            $"ext client '{client.Name}' address is outside the mesh ranges ({string.Join(", ", mesh)})");
                    }
                    if (self.Contains(address))
                    {
                        throw new GatewaySpecException(addrField, client.Addresses[j], $"ext client '{client.Name}' has this gateway's own mesh address");
                    }
                    if (!seen.TryAdd(address, client.Name))
                    {
                        throw new GatewaySpecException(addrField, client.Addresses[j], $"address already used by ext client '{seen[address]}'");
                    }
                    (client.Allowed ? allowed : denied).Add(address);
                }
            }
        }

        List<IPNetwork> egress = [];
        if (spec.Egress is { } eg)
        {
            if (eg.Ranges.Count == 0)
            {
                throw new GatewaySpecException("egress.ranges", "", "an egress gateway needs at least one range");
            }
            egress = ParseList(eg.Ranges, "egress.ranges");
            for (var i = 0; i < egress.Count; i++)
            {
                RequireMeshFamily(mesh, egress[i], $"egress.ranges[{i}]", eg.Ranges[i]);
            }
            // An internet gateway may also name its LAN (nodes route the LAN to it): for the firewall, a family's
            // default route already covers that family's other ranges, so only the default route is kept.
            var defaults = egress.Where(r => r.PrefixLength == 0).Select(r => r.BaseAddress.AddressFamily).ToHashSet();
            var kept = Enumerable.Range(0, egress.Count).Where(i => egress[i].PrefixLength == 0 || !defaults.Contains(egress[i].BaseAddress.AddressFamily)).ToList();
            egress = [.. kept.Select(i => egress[i])];
            RequireNoOverlap(egress, "egress.ranges", kept);
            for (var k = 0; k < egress.Count; k++)
            {
                var r = egress[k];
                // A default route covers the mesh by definition; the rules exclude the mesh interface.
                if (r.PrefixLength != 0 && FirstOverlap(mesh, r) is { } m)
                {
                    throw new GatewaySpecException($"egress.ranges[{kept[k]}]", eg.Ranges[kept[k]], $"overlaps the mesh range {m}");
                }
            }
        }

        var remote = ParseList(spec.RemoteRanges, "remoteRanges");
        if (remote.Count > 0 && spec.Egress is null)
        {
            throw new GatewaySpecException("remoteRanges", spec.RemoteRanges[0], "site-to-site ranges need this node to be an egress gateway for its own LAN");
        }
        RequireNoOverlap(remote, "remoteRanges");
        for (var i = 0; i < remote.Count; i++)
        {
            RequireMeshFamily(mesh, remote[i], $"remoteRanges[{i}]", spec.RemoteRanges[i]);
            // A local default route (internet gateway) covers every remote range by definition; only a real LAN clashes.
            if (FirstOverlap([.. mesh, .. egress.Where(e => e.PrefixLength > 0)], remote[i]) is { } clash)
            {
                throw new GatewaySpecException($"remoteRanges[{i}]", spec.RemoteRanges[i], $"overlaps {clash}, which is a mesh or local egress range");
            }
        }

        return new GatewayFirewallPlan(
            iface,
            Sorted(mesh),
            Sorted(self),
            spec.ListenPort,
            spec.Ingress is not null,
            spec.Ingress?.Nat ?? false,
            Sorted(allowed),
            Sorted(denied),
            spec.Egress is not null,
            spec.Egress?.Nat ?? false,
            Sorted(egress),
            Sorted(remote),
            PolicyFilterValidator.Validate(spec.Filter),
            spec.Relay);
    }

    /// <summary>Parses "a.b.c.d/len" or "x::/len", rejecting host bits so a typo is not silently widened.</summary>
    public static IPNetwork ParseCidr(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new GatewaySpecException(field, text, "empty; expected a CIDR such as 192.168.1.0/24");
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw new GatewaySpecException(field, text, "missing the prefix length; expected a CIDR such as 192.168.1.0/24");
        }
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address) || !IsPlain(address))
        {
            throw new GatewaySpecException(field, text, "not an IPv4 or IPv6 address before the '/'");
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > max)
        {
            throw new GatewaySpecException(field, text, $"prefix length must be 0..{max}");
        }
        var masked = IpPrefix.Mask(address, length);
        if (!masked.Equals(address))
        {
            throw new GatewaySpecException(field, text, $"host bits set; did you mean {masked}/{length}?");
        }
        return new IPNetwork(address, length);
    }

    private static IPAddress ParseHostAddress(string? text, string field)
    {
        if (text is not null && text.Contains('/', StringComparison.Ordinal))
        {
            var net = ParseCidr(text, field);
            var host = net.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            if (net.PrefixLength != host)
            {
                throw new GatewaySpecException(field, text, $"must be a single host (/{host})");
            }
            return net.BaseAddress;
        }
        if (!IPAddress.TryParse(text, out var address) || !IsPlain(address))
        {
            throw new GatewaySpecException(field, text, "not an IPv4 or IPv6 address");
        }
        return address;
    }

    /// <summary>IPv4, or IPv6 without a zone ("fe80::1%eth0" is not a firewall address).</summary>
    private static bool IsPlain(IPAddress a) =>
        a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && a.ScopeId == 0);

    private static string ValidateInterface(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxInterfaceName || name is "." or ".." ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new GatewaySpecException("meshInterface", name, $"an interface name is 1..{MaxInterfaceName} of [A-Za-z0-9_.-]");
        }
        return name;
    }

    private static List<IPNetwork> ParseList(IReadOnlyList<string> texts, string field)
    {
        var list = new List<IPNetwork>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            list.Add(ParseCidr(texts[i], $"{field}[{i}]"));
        }
        return list;
    }

    /// <param name="positions">Where each range stood in the spec (when some were left out), for the error's field name.</param>
    private static void RequireNoOverlap(IReadOnlyList<IPNetwork> list, string field, IReadOnlyList<int>? positions = null)
    {
        for (var i = 0; i < list.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (Overlaps(list[i], list[j]))
                {
                    int pi = positions?[i] ?? i, pj = positions?[j] ?? j;
                    throw new GatewaySpecException($"{field}[{pi}]", list[i].ToString(), $"overlaps {field}[{pj}] {list[j]}");
                }
            }
        }
    }

    private static void RequireMeshFamily(IReadOnlyList<IPNetwork> mesh, IPNetwork range, string field, string text)
    {
        var family = range.BaseAddress.AddressFamily;
        if (!mesh.Any(m => m.BaseAddress.AddressFamily == family))
        {
            throw new GatewaySpecException(field, text, $"an {FamilyName(family)} range, but the mesh has no {FamilyName(family)} range");
        }
    }

    private static IPNetwork? FirstOverlap(IReadOnlyList<IPNetwork> list, IPNetwork range)
    {
        foreach (var n in list)
        {
            if (Overlaps(n, range))
            {
                return n;
            }
        }
        return null;
    }

    private static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    private static List<IPNetwork> Sorted(List<IPNetwork> list)
    {
        list.Sort(Compare);
        return list;
    }

    private static List<IPAddress> Sorted(List<IPAddress> list)
    {
        list.Sort(Compare);
        return list;
    }

    private static int Compare(IPNetwork a, IPNetwork b)
    {
        var c = Compare(a.BaseAddress, b.BaseAddress);
        return c != 0 ? c : a.PrefixLength.CompareTo(b.PrefixLength);
    }

    private static int Compare(IPAddress a, IPAddress b)
    {
        var c = a.AddressFamily.CompareTo(b.AddressFamily);
        return c != 0 ? c : a.GetAddressBytes().AsSpan().SequenceCompareTo(b.GetAddressBytes());
    }
}
