using Appliance.Server.Configuration;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// A throwaway store of either engine for the store contract tests: a SQLite file in a temp dir, or a fresh database
/// of the assembly's <see cref="PostgresCluster"/>. <see cref="Reopen"/> opens the same data again (a restart).
/// </summary>
public sealed class StoreUnderTest : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-store");

    public StoreUnderTest(StoreKind kind)
    {
        Kind = kind;
        ConnectionString = kind == StoreKind.Postgres ? PostgresCluster.Instance.CreateDatabase() : null;
        Store = Open();
    }

    public StoreKind Kind { get; }

    /// <summary>The PostgreSQL database's connection string (null for SQLite).</summary>
    public string? ConnectionString { get; }

    /// <summary>The SQLite file (also the data dir's place for PostgreSQL, where it is never made).</summary>
    public string DbPath => _dir.Combine("appliance.db");

    /// <summary>A data dir for servers on this store.</summary>
    public string DataDir => _dir.Path;

    public IApplianceStore Store { get; private set; }

    /// <summary>Closes the store and opens its data again.</summary>
    public IApplianceStore Reopen()
    {
        ((IDisposable)Store).Dispose();
        Store = Open();
        return Store;
    }

    /// <summary>Another store on the same data (for PostgreSQL: a second server's).</summary>
    public IApplianceStore OpenAnother() => Open();

    /// <summary>The configuration keys a server needs to use this store.</summary>
    public IReadOnlyDictionary<string, string?> ServerSettings() => Kind == StoreKind.Postgres
        ? new Dictionary<string, string?> { ["Store:Kind"] = "postgres", ["Store:ConnectionString"] = ConnectionString }
        : new Dictionary<string, string?>();

    /// <summary>The rows a query returns, each column as text (null stays null): a look at the database beside the store.</summary>
    public List<string?[]> Rows(string sql)
    {
        using System.Data.Common.DbConnection connection = Kind == StoreKind.Postgres
            ? new Npgsql.NpgsqlConnection(ConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<string?[]>();
        while (reader.Read())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            }
            rows.Add(row);
        }
        return rows;
    }

    private IApplianceStore Open() => Kind == StoreKind.Postgres ? new PostgresStore(ConnectionString!) : new SqliteStore(DbPath);

    public void Dispose()
    {
        ((IDisposable)Store).Dispose();
        _dir.Dispose();
    }
}
