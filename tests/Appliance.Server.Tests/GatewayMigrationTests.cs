using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Data.Sqlite;

namespace Appliance.Server.Tests;

/// <summary>A database made by the previous schema gains the gateway tables and keeps its nodes.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class GatewayMigrationTests
{
    [Fact]
    public async Task A_version_1_database_is_upgraded_in_place()
    {
        using var dir = new TempDirectory("appliance-migrate");
        var path = Path.Combine(dir.Path, "appliance.db");
        CreateDatabaseAt(path, 1,
                "INSERT INTO networks VALUES ('home', '10.10.0.0/24', NULL, 51821, 1420, 20, 3, '2026-01-01T00:00:00.0000000+00:00');" +
                "INSERT INTO nodes VALUES ('n1', 'home', 'a', 'a', 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=', '10.10.0.1', NULL, 51821, '[]', 'linux', '1', '[]', 'h', NULL, " +
                "'2026-01-01T00:00:00.0000000+00:00', NULL);");
        using var store = new SqliteStore(path);
        Assert.Equal(SqliteMigrations.All[^1].Version, store.SchemaVersion);
        var (node, clients, names) = await store.ReadAsync(s => (s.FindNode("n1"), s.ListExtClients("home"), s.NodeNames("home")));
        Assert.Equal(("a", null), (node!.Name, node.InternetGateway));
        Assert.Empty(clients);
        Assert.Equal(["a"], names);
    }

    [Fact]
    public async Task Keys_stored_in_another_spelling_are_made_canonical()
    {
        using var dir = new TempDirectory("appliance-migrate");
        var path = Path.Combine(dir.Path, "appliance.db");
        // "...AQF=" is "...AQE=" with a low bit of the last character set: the same 32 bytes.
        CreateDatabaseAt(path, 2,
                "INSERT INTO networks VALUES ('home', '10.10.0.0/24', NULL, 51821, 1420, 20, 3, '2026-01-01T00:00:00.0000000+00:00');" +
                "INSERT INTO nodes (id, network, name, hostname, public_key, ipv4, ipv6, listen_port, endpoints, os, version, tags, credential_hash, enrollment_key_id, created_at, last_seen) " +
                "VALUES ('n1', 'home', 'a', 'a', 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=', '10.10.0.1', NULL, 51821, '[]', 'linux', '1', '[]', 'h', NULL, '2026-01-01T00:00:00.0000000+00:00', NULL);" +
                "INSERT INTO nodes (id, network, name, hostname, public_key, ipv4, ipv6, listen_port, endpoints, os, version, tags, credential_hash, enrollment_key_id, created_at, last_seen) " +
                "VALUES ('n2', 'home', 'b', 'b', '//////////////////////////////////////////9=', '10.10.0.2', NULL, 51821, '[]', 'linux', '1', '[]', 'h', NULL, '2026-01-01T00:00:00.0000000+00:00', NULL);");
        using var store = new SqliteStore(path);
        var (a, b, inUse) = await store.ReadAsync(s => (s.FindNode("n1")!, s.FindNode("n2")!, s.PublicKeyInUse("home", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")));
        Assert.Equal("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", a.PublicKey);
        Assert.Equal("//////////////////////////////////////////8=", b.PublicKey);
        Assert.True(inUse);
    }

    // A database as a server at schema version `version` left it: its migrations applied and recorded, then `rows`.
    private static void CreateDatabaseAt(string path, int version, string rows)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=false");
        db.Open();
        using var cmd = db.CreateCommand();
        var sql = new System.Text.StringBuilder("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);");
        foreach (var migration in SqliteMigrations.All.Take(version))
        {
            sql.Append(migration.Sql)
                .Append($"INSERT INTO schema_version VALUES ({migration.Version}, 'v{migration.Version}', '2026-01-01T00:00:00.0000000+00:00');");
        }
        cmd.CommandText = sql.Append(rows).ToString();
        cmd.ExecuteNonQuery();
    }
}
