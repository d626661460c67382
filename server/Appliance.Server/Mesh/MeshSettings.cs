namespace Appliance.Server.Mesh;

/// <summary>
/// What the mesh needs of the server's configuration: the server id every update carries (its lineage) and the
/// optional suffix of every network's zone (Dns:Suffix).
/// </summary>
public sealed record MeshSettings(string ServerId, string? DnsSuffix);
