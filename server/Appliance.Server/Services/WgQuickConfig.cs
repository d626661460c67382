using System.Text;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;

namespace Appliance.Server.Services;

/// <summary>Renders an ext client's wg-quick file (pure): the client's interface and its ingress gateway as the one peer.</summary>
public static class WgQuickConfig
{
    /// <summary>Written where the private key goes when the client brought its own public key.</summary>
    public const string PrivateKeyPlaceholder = "# PrivateKey = <fill in the private key of this client's public key; the server never saw it>";

    /// <summary>
    /// The wg-quick file. <paramref name="gatewayEndpoint"/> is "host:port" of the gateway; AllowedIPs are the mesh
    /// ranges, every site range routed by an egress gateway of the network, and the ingress gateway's own default
    /// routes when it is an internet gateway itself (a client cannot pick another one).
    /// </summary>
    public static string Render(
        ExtClientRecord client,
        NodeRecord gateway,
        IngressRecord ingress,
        NetworkRecord network,
        IReadOnlyList<EgressRecord> egress,
        string zone,
        string gatewayEndpoint)
    {
        var allowed = new List<string>(NodeConfigBuilder.MeshRanges(network));
        foreach (var e in egress.OrderBy(e => e.NodeId, StringComparer.Ordinal))
        {
            allowed.AddRange(e.Ranges.Where(r => !EgressRecord.IsDefaultRoute(r) || e.NodeId == gateway.Id).Select(r => r.ToString()));
        }
        var dns = ingress.Dns.Count > 0
            ? ingress.Dns
            : new[] { (gateway.Ipv4 ?? gateway.Ipv6)?.ToString(), zone }.OfType<string>().ToList();

        var sb = new StringBuilder();
        sb.Append("# ").Append(client.Name).Append(": ext client of network '").Append(network.Name)
            .Append("' through gateway '").Append(gateway.Name).Append("' (Appliance)\n");
        sb.Append("[Interface]\n");
        sb.Append("Address = ").Append(string.Join(", ", NodeConfigBuilder.HostRoutes(client.Ipv4, client.Ipv6))).Append('\n');
        sb.Append(client.PrivateKey is { } key ? $"PrivateKey = {key}" : PrivateKeyPlaceholder).Append('\n');
        if (dns.Count > 0)
        {
            sb.Append("DNS = ").Append(string.Join(", ", dns)).Append('\n');
        }
        sb.Append("MTU = ").Append(network.Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        sb.Append('\n');
        sb.Append("[Peer]\n");
        sb.Append("PublicKey = ").Append(gateway.PublicKey).Append('\n');
        sb.Append("Endpoint = ").Append(gatewayEndpoint).Append('\n');
        sb.Append("AllowedIPs = ").Append(string.Join(", ", allowed)).Append('\n');
        if (network.Keepalive > 0)
        {
            sb.Append("PersistentKeepalive = ").Append(network.Keepalive.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }
}
