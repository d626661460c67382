using Appliance.Contracts;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// The server id every update carries: random, made on first start and kept both in the store and in server.id in
/// the data dir. When the two disagree (a database restored or copied in beside a data dir that had another, or one of
/// them lost) the server takes a new id, so agents treat its versions as a new lineage and accept its snapshots
/// instead of comparing version numbers of two different histories.
/// </summary>
public static class ServerIdentity
{
    public const string FileName = "server.id";
    private const string Setting = "server_id";

    /// <summary>The server id, and whether it was made now (first start, or a store that does not match the data dir).</summary>
    public static (string Id, bool Made) LoadOrCreate(string dataDir, IApplianceStore store)
    {
        var path = Path.Combine(dataDir, FileName);
        var stored = store.ReadAsync(s => s.GetSetting(Setting)).GetAwaiter().GetResult();
        var file = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        if (stored is { Length: > 0 } && stored == file)
        {
            return (stored, false);
        }
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        store.WriteAsync(s => { s.SetSetting(Setting, id); return 0; }).GetAwaiter().GetResult();
        AtomicFile.Write(path, id + "\n", secret: true);
        return (id, true);
    }
}
