namespace Appliance.Hardware.Display.VmProbe;

/// <summary>
/// The statuses the golden frames and the golden SSD1306 stream are drawn from; shared (as a linked file) by the unit
/// tests and the VM probe, so both compare against the same checked-in files.
/// </summary>
public static class DisplaySamples
{
    private static readonly TimeSpan SystemUp = new(3, 4, 5, 0);
    private static readonly TimeSpan AgentUp = new(0, 1, 2, 0);

    /// <summary>A member node, connected, 3 of 5 peers with a recent handshake.</summary>
    public static DisplayStatus Member { get; } = new(
        "office-pi", "home", ["10.10.0.2", "fd10::2"], ServerLink.Connected, 3, 5, null, null, SystemUp, AgentUp);

    /// <summary>An ingress gateway with 2 of 5 ext clients active.</summary>
    public static DisplayStatus Gateway { get; } = new(
        "gw-1", "home", ["10.10.0.1", "fd10::1"], ServerLink.Connected, 4, 4, 2, 5, SystemUp, AgentUp);

    /// <summary>Everything too long for the panel, the server unreachable, counts past the display's range.</summary>
    public static DisplayStatus Long { get; } = new(
        "rack12-slot03-raspberry-pi-4b-in-the-basement-office", "a-network-with-a-long-name",
        ["10.200.100.250", "fd12:3456:789a:bcde:f012:3456:789a:bcde", "10.0.0.9"], ServerLink.Unreachable, 0, 123_456, null, null,
        new TimeSpan(400, 23, 59, 0), TimeSpan.FromSeconds(59));

    /// <summary>A box that has not joined yet.</summary>
    public static DisplayStatus NotJoined { get; } = new(
        null, null, [], ServerLink.Unknown, 0, 0, null, null, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));

    /// <summary>The golden frames: a name (the file under Goldens/) for each status and page.</summary>
    public static IReadOnlyList<(string Name, DisplayStatus Status, StatusPage Page)> Frames { get; } =
    [
        ("member-node", Member, StatusPage.Node),
        ("member-mesh", Member, StatusPage.Mesh),
        ("member-uptime", Member, StatusPage.Uptime),
        ("gateway-gateway", Gateway, StatusPage.Gateway),
        ("long-node", Long, StatusPage.Node),
        ("long-mesh", Long, StatusPage.Mesh),
        ("long-uptime", Long, StatusPage.Uptime),
        ("not-joined-node", NotJoined, StatusPage.Node),
    ];
}
