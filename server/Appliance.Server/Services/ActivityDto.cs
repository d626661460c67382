namespace Appliance.Server.Services;

/// <summary>One activity entry: when, who (<see cref="ActorKind"/>: console, token, cli, node, system), what, where.</summary>
public sealed record ActivityDto(long Id, DateTimeOffset At, string ActorKind, string Actor, string Action, string? Network, string Summary);
