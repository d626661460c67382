namespace Appliance.Server.Services;

/// <summary>One thing a console page following a network must show: which node (null for <see cref="NodeStatusEventKind.Resync"/>).</summary>
public sealed record NodeStatusEvent(NodeStatusEventKind Kind, string Network, string? NodeId);
