namespace Appliance.Contracts.Api;

/// <summary>POST /api/v1/nodes/{id}/identify: how long the box blinks (default 30 s, 1..3600); the body is optional.</summary>
public sealed record IdentifyRequest
{
    public int? Seconds { get; init; }
}

/// <summary>The identify command as sent: to which node, for how long, and whether the node is online now.</summary>
public sealed record IdentifyDto(string NodeId, int Seconds, bool Online);
