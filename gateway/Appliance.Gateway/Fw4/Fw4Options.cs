namespace Appliance.Gateway.Fw4;

/// <summary>How the gateway fits into an OpenWRT fw4 configuration.</summary>
public sealed record Fw4Options
{
    /// <summary>Name of the zone we add for the mesh interface (fw4 zone names are at most 11 characters).</summary>
    public string ZoneName { get; init; } = "appliance";

    /// <summary>The zone of the LAN the egress ranges live in.</summary>
    public string LanZone { get; init; } = "lan";

    /// <summary>The zone an internet gateway (egress 0.0.0.0/0 or ::/0) forwards to.</summary>
    public string WanZone { get; init; } = "wan";

    /// <summary>The command that regenerates fw4's table after a uci change.</summary>
    public IReadOnlyList<string> ReloadCommand { get; init; } = ["fw4", "-q", "reload"];
}
