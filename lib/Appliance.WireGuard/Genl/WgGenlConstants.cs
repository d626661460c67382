namespace Appliance.WireGuard.Genl;

/// <summary>The WireGuard generic netlink API (include/uapi/linux/wireguard.h).</summary>
public static class WgGenlConstants
{
    public const string WG_GENL_NAME = "wireguard";
    public const byte WG_GENL_VERSION = 1;
    public const int WG_KEY_LEN = 32;

    public const byte WG_CMD_GET_DEVICE = 0;
    public const byte WG_CMD_SET_DEVICE = 1;

    public const uint WGDEVICE_F_REPLACE_PEERS = 1;

    public const ushort WGDEVICE_A_IFINDEX = 1;
    public const ushort WGDEVICE_A_IFNAME = 2;
    public const ushort WGDEVICE_A_PRIVATE_KEY = 3;
    public const ushort WGDEVICE_A_PUBLIC_KEY = 4;
    public const ushort WGDEVICE_A_FLAGS = 5;
    public const ushort WGDEVICE_A_LISTEN_PORT = 6;
    public const ushort WGDEVICE_A_FWMARK = 7;
    public const ushort WGDEVICE_A_PEERS = 8;

    public const uint WGPEER_F_REMOVE_ME = 1;
    public const uint WGPEER_F_REPLACE_ALLOWEDIPS = 2;
    public const uint WGPEER_F_UPDATE_ONLY = 4;

    public const ushort WGPEER_A_PUBLIC_KEY = 1;
    public const ushort WGPEER_A_PRESHARED_KEY = 2;
    public const ushort WGPEER_A_FLAGS = 3;
    public const ushort WGPEER_A_ENDPOINT = 4;
    public const ushort WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL = 5;
    public const ushort WGPEER_A_LAST_HANDSHAKE_TIME = 6;
    public const ushort WGPEER_A_RX_BYTES = 7;
    public const ushort WGPEER_A_TX_BYTES = 8;
    public const ushort WGPEER_A_ALLOWEDIPS = 9;
    public const ushort WGPEER_A_PROTOCOL_VERSION = 10;

    public const ushort WGALLOWEDIP_A_FAMILY = 1;
    public const ushort WGALLOWEDIP_A_IPADDR = 2;
    public const ushort WGALLOWEDIP_A_CIDR_MASK = 3;

    /// <summary>Default size of one WG_CMD_SET_DEVICE message; bigger configs are split (see <see cref="WgGenlEncoder"/>).</summary>
    public const int DefaultMaxMessageSize = 16 * 1024;
}
