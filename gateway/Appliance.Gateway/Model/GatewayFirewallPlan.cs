using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Gateway.Model;

/// <summary>
/// A validated, normalised gateway spec: parsed prefixes, ext clients split into allowed and denied addresses,
/// everything sorted so two equal specs render byte-identical rulesets. Built only by <see cref="Create"/>.
/// </summary>
public sealed class GatewayFirewallPlan : IEquatable<GatewayFirewallPlan>
{
    internal GatewayFirewallPlan(
        string meshInterface,
        IReadOnlyList<IPNetwork> meshRanges,
        IReadOnlyList<IPAddress> meshAddresses,
        int listenPort,
        bool hasIngress,
        bool ingressNat,
        IReadOnlyList<IPAddress> allowedClients,
        IReadOnlyList<IPAddress> deniedClients,
        bool hasEgress,
        bool egressNat,
        IReadOnlyList<IPNetwork> egressRanges,
        IReadOnlyList<IPNetwork> remoteRanges,
        PolicyFilter? filter = null,
        bool isRelay = false)
    {
        MeshInterface = meshInterface;
        MeshRanges = meshRanges;
        MeshAddresses = meshAddresses;
        ListenPort = listenPort;
        HasIngress = hasIngress;
        IngressNat = ingressNat;
        AllowedClients = allowedClients;
        DeniedClients = deniedClients;
        HasEgress = hasEgress;
        EgressNat = egressNat;
        EgressRanges = egressRanges;
        RemoteRanges = remoteRanges;
        Filter = filter;
        IsRelay = isRelay;
        Canonical = BuildCanonical();
    }

    /// <summary>Validates <paramref name="spec"/>; throws <see cref="GatewaySpecException"/> naming the first bad field.</summary>
    public static GatewayFirewallPlan Create(GatewayFirewallSpec spec) => GatewaySpecValidator.Validate(spec);

    public string MeshInterface { get; }

    public IReadOnlyList<IPNetwork> MeshRanges { get; }

    /// <summary>This gateway's own mesh addresses: DNS to them is the one service the mesh and ext clients may reach.</summary>
    public IReadOnlyList<IPAddress> MeshAddresses { get; }

    /// <summary>This gateway's WireGuard listen port (0: none), also open to the mesh interface.</summary>
    public int ListenPort { get; }

    public bool HasIngress { get; }

    public bool IngressNat { get; }

    /// <summary>Addresses of enabled ext clients (forwarded to and from the mesh).</summary>
    public IReadOnlyList<IPAddress> AllowedClients { get; }

    /// <summary>Addresses of disabled or expired ext clients (dropped both ways).</summary>
    public IReadOnlyList<IPAddress> DeniedClients { get; }

    public bool HasEgress { get; }

    public bool EgressNat { get; }

    public IReadOnlyList<IPNetwork> EgressRanges { get; }

    public IReadOnlyList<IPNetwork> RemoteRanges { get; }

    /// <summary>The access-policy filter this node enforces, or null (no policy).</summary>
    public PolicyFilter? Filter { get; }

    public bool HasFilter => Filter is not null;

    /// <summary>Whether the node relays for pairs of its peers (issue #18): mesh-to-mesh forwarding through the mesh interface.</summary>
    public bool IsRelay { get; }

    /// <summary>
    /// Whether the node forwards anything to or from the mesh (a role or relaying), so the forward chain is ours. The
    /// forwarding sysctls stay with the roles (<see cref="NeedsForwarding"/>): a relay's are the agent's own switch.
    /// </summary>
    public bool HasForward => HasRoles || IsRelay;

    /// <summary>Whether the node runs a gateway role (forwarding rules, NAT, the forwarding sysctls).</summary>
    public bool HasRoles => HasIngress || HasEgress;

    /// <summary>One line per field; equal plans have equal text (used for equality and in logs).</summary>
    public string Canonical { get; }

    /// <summary>Whether this plan forwards anything of <paramref name="family"/> (so its forwarding sysctl must be on).</summary>
    public bool NeedsForwarding(AddressFamily family) => HasRoles && MeshRanges.Any(r => r.BaseAddress.AddressFamily == family);

    public static IReadOnlyList<IPNetwork> Of(IReadOnlyList<IPNetwork> list, AddressFamily family) =>
        [.. list.Where(n => n.BaseAddress.AddressFamily == family)];

    public static IReadOnlyList<IPAddress> Of(IReadOnlyList<IPAddress> list, AddressFamily family) =>
        [.. list.Where(a => a.AddressFamily == family)];

    public bool Equals(GatewayFirewallPlan? other) => other is not null && Canonical == other.Canonical;

    public override bool Equals(object? obj) => obj is GatewayFirewallPlan p && Equals(p);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    public override string ToString() => Canonical;

    private string BuildCanonical()
    {
        var sb = new StringBuilder();
        sb.Append("iface=").Append(MeshInterface).Append('\n');
        sb.Append("mesh=").AppendJoin(',', MeshRanges).Append('\n');
        sb.Append("self=").AppendJoin(',', MeshAddresses).Append(" port=").Append(ListenPort).Append('\n');
        sb.Append("ingress=").Append(HasIngress).Append(" nat=").Append(IngressNat).Append('\n');
        sb.Append("allowed=").AppendJoin(',', AllowedClients).Append('\n');
        sb.Append("denied=").AppendJoin(',', DeniedClients).Append('\n');
        sb.Append("egress=").Append(HasEgress).Append(" nat=").Append(EgressNat).Append(' ').AppendJoin(',', EgressRanges).Append('\n');
        sb.Append("remote=").AppendJoin(',', RemoteRanges).Append('\n');
        sb.Append("relay=").Append(IsRelay).Append('\n');
        Filter?.AppendCanonical(sb);
        return sb.ToString();
    }
}
