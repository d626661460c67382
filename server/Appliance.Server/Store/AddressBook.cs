namespace Appliance.Server.Store;

/// <summary>
/// The taken addresses of each network, in memory, so a write session finds the next free address without reading
/// every address of the network. A network's pools are loaded from the database the first time a write session
/// allocates in it (at start-up, after a restart, or after a failed write dropped them), and kept in step by every
/// session write that adds, removes or holds an address. Touched only by write sessions, under the store's write lock.
/// </summary>
internal sealed class AddressBook
{
    private readonly Dictionary<string, NetworkPools> _networks = new(StringComparer.Ordinal);

    /// <summary>True when no network's pools are loaded (nothing to keep in step).</summary>
    public bool IsEmpty => _networks.Count == 0;

    public bool TryGet(string network, out NetworkPools pools) => _networks.TryGetValue(network, out pools!);

    public void Add(string network, NetworkPools pools) => _networks[network] = pools;

    /// <summary>Drops a network's pools: the next allocation in it loads them from the database again.</summary>
    public void Forget(string network) => _networks.Remove(network);

    /// <summary>Drops every network's pools (another writer may have changed any of them).</summary>
    public void Clear() => _networks.Clear();
}
