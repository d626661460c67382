using System.Net;

namespace Appliance.Server.Domain.Policy;

/// <summary>What a policy selector names.</summary>
public enum PolicySelectorKind
{
    /// <summary><c>*</c>: every node, ext client and egress range (any address).</summary>
    All,
    /// <summary><c>tag:X</c>: the nodes that carry tag X.</summary>
    Tag,
    /// <summary><c>group:X</c>: the union of the group's members.</summary>
    Group,
    /// <summary><c>node:NAME</c>: the node of that name.</summary>
    Node,
    /// <summary>A CIDR: the nodes' and ext clients' addresses inside it and the egress ranges it overlaps.</summary>
    Cidr,
}

/// <summary>One parsed selector of a policy document, with the line it was written on.</summary>
public sealed record PolicySelector(PolicySelectorKind Kind, string Value, IPNetwork Range, int Line)
{
    /// <summary>The selector as written (<c>tag:office</c>, <c>10.0.0.0/8</c>, <c>*</c>).</summary>
    public string Text => Kind switch
    {
        PolicySelectorKind.All => "*",
        PolicySelectorKind.Tag => "tag:" + Value,
        PolicySelectorKind.Group => "group:" + Value,
        PolicySelectorKind.Node => "node:" + Value,
        _ => Value,
    };

    public override string ToString() => Text;
}
