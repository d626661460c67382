namespace Appliance.Server.Store;

/// <summary>
/// The server's persistent state. Work runs inside a session; a write session is one transaction
/// (all or nothing) and writes are serialized, so checks and the mutations they guard see the same state.
/// </summary>
public interface IApplianceStore
{
    Task<T> ReadAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default);

    Task<T> WriteAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default);

    /// <summary>
    /// Adds a sink that gets what each committed write changed (<see cref="NetworkChangeSet"/>), in commit order, right
    /// after the commit. Attached at start-up, before the first write that matters.
    /// </summary>
    void AddChangeSink(IStoreChangeSink sink);

    /// <summary>The schema version after migrations.</summary>
    int SchemaVersion { get; }
}
