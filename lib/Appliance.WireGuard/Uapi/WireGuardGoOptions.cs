namespace Appliance.WireGuard.Uapi;

/// <summary>How to start a userspace WireGuard implementation (wireguard-go) for an interface.</summary>
public sealed record WireGuardGoOptions
{
    public string Executable { get; init; } = "wireguard-go";

    /// <summary>Where the implementation puts <c>&lt;iface&gt;.sock</c>.</summary>
    public string SocketDirectory { get; init; } = UapiSocketTransport.DefaultSocketDirectory;

    /// <summary>Arguments placed before the executable, e.g. <c>ip netns exec NS ...</c>; the chain must exec, not fork.</summary>
    public IReadOnlyList<string> CommandPrefix { get; init; } = [];

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>wireguard-go's LOG_LEVEL (error, verbose, silent).</summary>
    public string LogLevel { get; init; } = "error";
}
