namespace Appliance.Server.Domain;

/// <summary>
/// A network's access policy as the admin sent it (<see cref="Text"/>, comments and all: GET gives it back as written).
/// <see cref="Revision"/> counts the times it was set (1 for the first). At most one per network.
/// </summary>
public sealed record PolicyRecord(string Network, string Text, long Revision, DateTimeOffset UpdatedAt);
