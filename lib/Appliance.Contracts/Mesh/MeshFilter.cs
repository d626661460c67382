using System.Text.Json.Serialization;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// The traffic filter a network's access policy asks of one node (issue #19). The server evaluates the policy; the
/// node only enforces what it receives, as stateful firewall rules: a rule allows <em>new</em> connections, replies
/// pass by connection state, everything else new is dropped.
/// <para>
/// In a snapshot (and in <see cref="Api.NodeConfigDto"/>) null means the network has no policy: everything is allowed,
/// as before policies existed. In a delta null means "unchanged", and <see cref="None"/> (not enforced) means "the
/// policy was removed: allow everything again".
/// </para>
/// </summary>
public sealed record MeshFilterDto
{
    /// <summary>False only in a delta that removes the policy (<see cref="None"/>).</summary>
    public bool Enforced { get; init; } = true;

    /// <summary>
    /// New connections that may reach this node itself through its mesh interface (to its own mesh addresses).
    /// Empty while enforced: nothing may open a connection to this node.
    /// </summary>
    public IReadOnlyList<FilterRuleDto> Inbound { get; init; } = [];

    /// <summary>
    /// On a gateway: new connections it may forward — from its ext clients into the mesh and from the mesh into its
    /// egress ranges. Empty while enforced: the gateway forwards no new connections.
    /// </summary>
    public IReadOnlyList<FilterRuleDto> Forward { get; init; } = [];

    [JsonIgnore]
    public bool IsNone => !Enforced;

    /// <summary>"No policy (any more)": in a delta, the filter is lifted.</summary>
    public static MeshFilterDto None { get; } = new() { Enforced = false };
}

/// <summary>
/// One allow rule: new connections from any of <see cref="Sources"/> to any of <see cref="Destinations"/> (CIDRs; an
/// empty <see cref="Destinations"/> in an inbound rule means this node's own mesh addresses), for
/// <see cref="Protocol"/> <c>tcp</c>, <c>udp</c>, <c>icmp</c> (ICMP and ICMPv6) or <c>*</c>, on destination ports
/// <see cref="PortFrom"/>..<see cref="PortTo"/> (tcp/udp only; both 0 = every port).
/// </summary>
public sealed record FilterRuleDto(
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Destinations,
    string Protocol,
    int PortFrom = 0,
    int PortTo = 0)
{
    public const string Tcp = "tcp";
    public const string Udp = "udp";
    public const string Icmp = "icmp";
    public const string Any = "*";
}
