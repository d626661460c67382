namespace Appliance.Gateway.Iptables;

/// <summary>The names we own in iptables: our chains, each jumped to from a built-in chain.</summary>
public static class IptablesChains
{
    /// <summary>Filter table: forwarding decisions for traffic through the mesh interface.</summary>
    public const string Forward = "APPLIANCE-FWD";

    /// <summary>Filter table: what the mesh interface may reach on the gateway itself (jumped to from INPUT).</summary>
    public const string Input = "APPLIANCE-IN";

    /// <summary>
    /// Filter table: the access policy's forward rules (issue #19), jumped to from <see cref="Forward"/> where the
    /// roles would accept; a packet no rule accepts returns there and meets its final DROP.
    /// </summary>
    public const string PolicyForward = "APPLIANCE-PFWD";

    /// <summary>Nat table: masquerade rules.</summary>
    public const string Postrouting = "APPLIANCE-POST";
}
