namespace Appliance.Server.Store;

/// <summary>
/// One record a write changed in a network: <see cref="Id"/> is the node for <see cref="ChangeKind.Node"/>,
/// <see cref="ChangeKind.Ingress"/> and <see cref="ChangeKind.Egress"/>, the client for
/// <see cref="ChangeKind.ExtClient"/>, and empty for <see cref="ChangeKind.Network"/> and <see cref="ChangeKind.DnsEntries"/>.
/// Whether it was upserted or removed is what the committed records say (<see cref="NetworkChangeSet"/>).
/// </summary>
public readonly record struct StoreChange(ChangeKind Kind, string Id);
