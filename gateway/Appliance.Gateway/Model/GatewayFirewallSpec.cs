using Appliance.Contracts.Mesh;

namespace Appliance.Gateway.Model;

/// <summary>
/// The desired gateway roles and access-policy filter of one node, as the agent receives them (CIDRs and addresses as text).
/// <see cref="GatewayFirewallPlan.Create"/> validates it into the typed plan the backends render.
/// </summary>
public sealed record GatewayFirewallSpec
{
    /// <summary>The node's mesh WireGuard interface; ext clients are peers on it too.</summary>
    public required string MeshInterface { get; init; }

    /// <summary>The mesh network's own ranges (one IPv4 CIDR, optionally one IPv6 CIDR), e.g. 10.10.0.0/24.</summary>
    public IReadOnlyList<string> MeshRanges { get; init; } = [];

    /// <summary>
    /// This node's own addresses on the mesh ("10.10.0.1", "fd10::1", from the mesh ranges): the only addresses the
    /// mesh and ext clients may reach on the gateway itself, and only for DNS (port 53).
    /// </summary>
    public IReadOnlyList<string> MeshAddresses { get; init; } = [];

    /// <summary>This node's WireGuard listen port, left open to the mesh interface like DNS; 0 for none.</summary>
    public int ListenPort { get; init; }

    /// <summary>Ingress role (ext clients reach the mesh through this node); null when the node is not an ingress.</summary>
    public IngressSpec? Ingress { get; init; }

    /// <summary>Egress role (mesh reaches LAN ranges behind this node); null when the node is not an egress.</summary>
    public EgressSpec? Egress { get; init; }

    /// <summary>
    /// Other gateways' egress ranges reachable through the mesh (site-to-site): traffic from this node's egress
    /// ranges (its LAN) to these is forwarded into the mesh interface. Needs <see cref="Egress"/>.
    /// </summary>
    public IReadOnlyList<string> RemoteRanges { get; init; } = [];

    /// <summary>
    /// The access-policy filter (issue #19) as the server sent it; null or <see cref="MeshFilterDto.None"/>: no policy,
    /// nothing filtered beyond the roles' own rules. A node without roles but with a filter gets the inbound filter alone.
    /// </summary>
    public MeshFilterDto? Filter { get; init; }

    /// <summary>
    /// This node is a relay (issue #18): it forwards between its own mesh peers (in and out of the mesh interface) for
    /// the pairs that cannot meet directly, under <see cref="Filter"/>'s forward rules when there is a policy.
    /// </summary>
    public bool Relay { get; init; }
}

/// <summary>The ingress role: plain WireGuard clients whose traffic enters the mesh through this node.</summary>
public sealed record IngressSpec
{
    /// <summary>Masquerade ext-client traffic entering the mesh to this node's mesh address (otherwise routed).</summary>
    public bool Nat { get; init; }

    public IReadOnlyList<ExtClientSpec> Clients { get; init; } = [];
}

/// <summary>One ext client: its tunnel addresses (IPv4 /32, IPv6 /128, from the mesh ranges) and whether it may pass.</summary>
public sealed record ExtClientSpec
{
    /// <summary>A name for error messages (the client id or name on the server).</summary>
    public required string Name { get; init; }

    /// <summary>Bare addresses or host prefixes: "10.10.0.100", "10.10.0.100/32", "fd10::100/128".</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>False when the client is disabled or expired: everything from or to it is dropped.</summary>
    public bool Allowed { get; init; } = true;
}

/// <summary>The egress role: LAN ranges behind this node that mesh nodes reach through it.</summary>
public sealed record EgressSpec
{
    /// <summary>CIDRs; 0.0.0.0/0 and ::/0 make an internet gateway.</summary>
    public IReadOnlyList<string> Ranges { get; init; } = [];

    /// <summary>Masquerade mesh traffic leaving towards the ranges to this node's LAN address.</summary>
    public bool Nat { get; init; } = true;
}
