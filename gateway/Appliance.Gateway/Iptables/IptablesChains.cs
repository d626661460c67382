namespace Appliance.Gateway.Iptables;

/// <summary>The names we own in iptables: one chain per table, jumped to from the built-in chain.</summary>
public static class IptablesChains
{
    /// <summary>Filter table: forwarding decisions for traffic through the mesh interface.</summary>
    public const string Forward = "APPLIANCE-FWD";

    /// <summary>Nat table: masquerade rules.</summary>
    public const string Postrouting = "APPLIANCE-POST";
}
