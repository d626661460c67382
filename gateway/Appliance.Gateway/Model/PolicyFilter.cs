using System.Net;
using System.Text;

namespace Appliance.Gateway.Model;

/// <summary>What an access-policy rule matches: one transport protocol (or any), as the server names it.</summary>
public enum PolicyProtocol
{
    /// <summary><c>*</c>: every protocol, no port match.</summary>
    Any,
    Tcp,
    Udp,
    /// <summary>ICMP for IPv4 and ICMPv6 for IPv6, every type.</summary>
    Icmp,
}

/// <summary>
/// One validated allow rule: new connections from <see cref="Sources"/> to <see cref="Destinations"/> (or, with
/// <see cref="ToSelf"/>, to this node's own mesh addresses), by <see cref="Protocol"/> on ports
/// <see cref="PortFrom"/>..<see cref="PortTo"/> (0..0 = every port). Prefix lists are sorted, with every prefix another
/// one covers left out, so sets never hold overlapping intervals; <c>*</c> is <c>0.0.0.0/0</c> plus <c>::/0</c>.
/// </summary>
public sealed record PolicyRule(
    IReadOnlyList<IPNetwork> Sources,
    IReadOnlyList<IPNetwork> Destinations,
    bool ToSelf,
    PolicyProtocol Protocol,
    int PortFrom,
    int PortTo)
{
    /// <summary>Whether the rule names a port range (tcp/udp with ports); otherwise it matches every port.</summary>
    public bool HasPorts => PortFrom != 0;

    internal void AppendCanonical(StringBuilder sb)
    {
        sb.AppendJoin(',', Sources).Append(" -> ").Append(ToSelf ? "self" : string.Join(',', Destinations))
            .Append(' ').Append(Protocol).Append(' ').Append(PortFrom).Append('-').Append(PortTo).Append('\n');
    }
}

/// <summary>
/// A validated access-policy filter (issue #19): the rules for new connections to this node (<see cref="Inbound"/>)
/// and, on a gateway, through it (<see cref="Forward"/>). Empty lists enforce "nothing new". Built by
/// <see cref="PolicyFilterValidator"/> only.
/// </summary>
public sealed class PolicyFilter
{
    internal PolicyFilter(IReadOnlyList<PolicyRule> inbound, IReadOnlyList<PolicyRule> forward)
    {
        Inbound = inbound;
        Forward = forward;
    }

    public IReadOnlyList<PolicyRule> Inbound { get; }

    public IReadOnlyList<PolicyRule> Forward { get; }

    internal void AppendCanonical(StringBuilder sb)
    {
        sb.Append("filter inbound=").Append(Inbound.Count).Append('\n');
        foreach (var r in Inbound)
        {
            r.AppendCanonical(sb);
        }
        sb.Append("filter forward=").Append(Forward.Count).Append('\n');
        foreach (var r in Forward)
        {
            r.AppendCanonical(sb);
        }
    }
}
