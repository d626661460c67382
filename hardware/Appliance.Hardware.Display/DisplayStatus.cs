namespace Appliance.Hardware.Display;

/// <summary>
/// What the display shows, gathered by the agent: the node (null name = not joined yet), its mesh addresses, the
/// server link, how many peers had a handshake recently of how many it has, a gateway's ext clients (null = not an
/// ingress gateway) and the uptimes. Plain data: the page layout bounds and cuts what it draws from it.
/// </summary>
public sealed record DisplayStatus(
    string? NodeName,
    string? Network,
    IReadOnlyList<string> MeshAddresses,
    ServerLink Server,
    int PeersRecent,
    int PeersTotal,
    int? GatewayClientsRecent,
    int? GatewayClientsTotal,
    TimeSpan SystemUptime,
    TimeSpan AgentUptime)
{
    /// <summary>A handshake at most this old counts as recent: WireGuard drops a session older than 180 s (REJECT_AFTER_TIME).</summary>
    public static readonly TimeSpan RecentHandshake = TimeSpan.FromSeconds(180);

    public bool Joined => NodeName is not null;

    public bool IsGateway => GatewayClientsTotal is not null;
}
