namespace Appliance.Server.Configuration;

/// <summary>The engine that keeps the server's store (Store:Kind, <c>--store</c>).</summary>
public enum StoreKind
{
    /// <summary>One SQLite file in the data dir (the default; one server).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (Store:ConnectionString), which several servers can share.</summary>
    Postgres,
}
