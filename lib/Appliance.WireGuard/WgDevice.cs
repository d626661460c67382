using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>A WireGuard device as read back (WG_CMD_GET_DEVICE or UAPI <c>get=1</c>).</summary>
public sealed record WgDevice(string Name)
{
    public int InterfaceIndex { get; init; }

    /// <summary>All-zero when no private key is set.</summary>
    public WgKey PrivateKey { get; init; }

    public WgKey PublicKey { get; init; }

    public int ListenPort { get; init; }

    public uint FwMark { get; init; }

    public IReadOnlyList<WgPeer> Peers { get; init; } = [];
}
