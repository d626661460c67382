using Appliance.Contracts;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// The server id every update carries: random, made on first start and kept both in the store and in server.id in
/// the data dir. When the two disagree (a database restored or copied in beside a data dir that had another, or one of
/// them lost) the server takes a new id, so agents treat its versions as a new lineage and accept its snapshots
/// instead of comparing version numbers of two different histories.
/// </summary>
public sealed record ServerIdentity(string Id)
{
    public const string FileName = "server.id";
    /// <summary>The setting that holds the id.</summary>
    internal const string Setting = "server_id";
    /// <summary>Why an id was made when neither the store nor the data dir had one.</summary>
    public const string FirstStart = "first start";

    /// <summary>The server id, and why it was made now (null when it was kept): a first start, or a store that does not match the data dir.</summary>
    public static (ServerIdentity Identity, string? Made) LoadOrCreate(string dataDir, IApplianceStore store)
    {
        var path = Path.Combine(dataDir, FileName);
        var stored = store.ReadAsync(s => s.GetSetting(Setting)).GetAwaiter().GetResult();
        var file = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        if (stored is { Length: > 0 } && stored == file)
        {
            return (new ServerIdentity(stored), null);
        }
        var why = (stored, file) switch
        {
            (null, null) => FirstStart,
            (null, _) => $"the store has no server id but {FileName} has one (a new or replaced database)",
            (_, null) => $"{FileName} is missing beside a store that has a server id (a database copied or restored into this data dir)",
            _ => $"the store's server id is not the one in {FileName} (a database copied or restored into this data dir)",
        };
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        store.WriteAsync(s => { s.SetSetting(Setting, id); return 0; }).GetAwaiter().GetResult();
        AtomicFile.Write(path, id + "\n", secret: true);
        return (new ServerIdentity(id), why);
    }
}
