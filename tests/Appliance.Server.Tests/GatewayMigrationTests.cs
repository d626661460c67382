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
        using (var db = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);" +
                SqliteMigrations.All[0].Sql +
                "INSERT INTO schema_version VALUES (1, 'v1', '2026-01-01T00:00:00.0000000+00:00');" +
                "INSERT INTO networks VALUES ('home', '10.10.0.0/24', NULL, 51821, 1420, 20, 3, '2026-01-01T00:00:00.0000000+00:00');" +
                "INSERT INTO nodes VALUES ('n1', 'home', 'a', 'a', 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=', '10.10.0.1', NULL, 51821, '[]', 'linux', '1', '[]', 'h', NULL, " +
                "'2026-01-01T00:00:00.0000000+00:00', NULL);";
            cmd.ExecuteNonQuery();
        }
        using var store = new SqliteStore(path);
        Assert.Equal(3, store.SchemaVersion);
        var (node, clients, names) = await store.ReadAsync(s => (s.FindNode("n1"), s.ListExtClients("home"), s.NodeNames("home")));
        Assert.Equal(("a", null), (node!.Name, node.InternetGateway));
        Assert.Empty(clients);
        Assert.Equal(["a"], names);
    }
}
