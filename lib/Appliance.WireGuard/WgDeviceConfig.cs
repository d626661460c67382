namespace Appliance.WireGuard;

/// <summary>The desired configuration of a WireGuard device (what <c>wg setconf</c> would take).</summary>
public sealed record WgDeviceConfig(Appliance.Contracts.WgKey PrivateKey)
{
    /// <summary>UDP port; null leaves the current port (0 asks for a random one).</summary>
    public int? ListenPort { get; init; }

    /// <summary>Null leaves the current fwmark; 0 clears it.</summary>
    public uint? FwMark { get; init; }

    public IReadOnlyList<WgPeerConfig> Peers { get; init; } = [];
}
