using Appliance.Server.Configuration;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Hosting;

/// <summary>
/// What the server makes at start from its options and keeps for its lifetime, each by its own factory: the store, the
/// TLS material, the admin token, the signing key ring and the server id. Only <see cref="ServerApp"/>'s registrations
/// read it; everything else is given the one thing it uses.
/// </summary>
public sealed record ServerStartup(IApplianceStore Store, ServerTls Tls, AdminToken AdminToken, SigningKeyRing SigningKeys, ServerIdentity Identity)
{
    public const string DatabaseFileName = "appliance.db";

    /// <summary>
    /// Makes them in order, in the data dir forced to owner-only before and after (the files made here, the store's
    /// -wal and -shm among them, are owner-only too).
    /// </summary>
    public static ServerStartup Open(ServerOptions options, ILogger logger, TimeProvider clock, Metrics.ChangeStageCounters? stages = null)
    {
        DataDirPermissions.Enforce(options.DataDir);
        var now = clock.GetUtcNow();
        var store = OpenStore(options, clock, stages);
        var shared = options.Store == StoreKind.Postgres;
        if (shared)
        {
            // Before the file-based steps below: they find the store's CA, signing key and server id in the data dir.
            SharedSecrets.Share(store, options.DataDir, logger, now);
        }
        var tls = ServerTls.LoadOrCreate(options);
        var adminToken = AdminToken.LoadOrCreate(store, options.DataDir, logger);
        var signingKeys = SigningKeyRing.Open(options.DataDir, store, now, keyInStore: shared);
        var (identity, madeId) = ServerIdentity.LoadOrCreate(options.DataDir, store);
        if (madeId is not null)
        {
            logger.Log(madeId == ServerIdentity.FirstStart ? LogLevel.Information : LogLevel.Warning,
                "new server id {ServerId} ({Why}): agents take this server's snapshots as a new lineage", identity.Id, madeId);
        }
        DataDirPermissions.Enforce(options.DataDir);
        return new ServerStartup(store, tls, adminToken, signingKeys, identity);
    }

    /// <summary>The store the options name: the SQLite file in the data dir, or the PostgreSQL database; its writes counted in <paramref name="stages"/>.</summary>
    public static IApplianceStore OpenStore(ServerOptions options, TimeProvider? clock = null, Metrics.ChangeStageCounters? stages = null) => options.Store switch
    {
        StoreKind.Postgres => new PostgresStore(options.StoreConnectionString!, clock, stages),
        _ => new SqliteStore(Path.Combine(options.DataDir, DatabaseFileName), clock, stages),
    };
}
