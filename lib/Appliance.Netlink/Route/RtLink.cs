namespace Appliance.Netlink.Route;

/// <summary>A network interface as rtnetlink reports it (RTM_NEWLINK).</summary>
public sealed record RtLink(int Index, string Name, int Mtu, bool IsUp, string? Kind);
