namespace Appliance.WireGuard.Genl;

/// <summary>Where the next WG_CMD_SET_DEVICE message of a split plan continues: peer index and allowed-IP index within it.</summary>
public struct WgGenlCursor
{
    public int MessageCount { get; set; }

    public int PeerIndex { get; set; }

    public int AllowedIPIndex { get; set; }

    public bool Done { get; set; }
}
