namespace Appliance.Gateway.Iptables;

/// <summary>The names we own in iptables: our chains, each jumped to from a built-in chain.</summary>
public static class IptablesChains
{
    /// <summary>Filter table: forwarding decisions for traffic through the mesh interface.</summary>
    public const string Forward = "APPLIANCE-FWD";

    /// <summary>Filter table: what the mesh interface may reach on the gateway itself (jumped to from INPUT).</summary>
    public const string Input = "APPLIANCE-IN";

    /// <summary>Nat table: masquerade rules.</summary>
    public const string Postrouting = "APPLIANCE-POST";
}
