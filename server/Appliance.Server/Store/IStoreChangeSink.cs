namespace Appliance.Server.Store;

/// <summary>
/// Where the store hands what each committed write changed (the mesh module). Called right after the commit, in commit
/// order (writes are serialized), once per write with one set per network it changed. It must not block or throw: it
/// queues the sets and returns.
/// </summary>
public interface IStoreChangeSink
{
    void Committed(IReadOnlyList<NetworkChangeSet> changes);
}
