using Appliance.Server.Configuration;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Data.Sqlite;

namespace Appliance.Server.Tests;

// The store contract suites (StoreChangeTests, StoreAddressTests, StoreNameLookupTests) on SQLite; StoreContract.Postgres.cs runs them on PostgreSQL.

[Trait("Category", TestCategories.Integration)]
public sealed class SqliteStoreChangeTests() : StoreChangeTests(StoreKind.Sqlite);

[Trait("Category", TestCategories.Integration)]
public sealed class SqliteStoreAddressTests() : StoreAddressTests(StoreKind.Sqlite);

[Trait("Category", TestCategories.Integration)]
public sealed class SqliteStoreNameLookupTests() : StoreNameLookupTests(StoreKind.Sqlite)
{
    [Fact]
    public void The_lookup_reads_one_index_range_per_table()
    {
        using var connection = new SqliteConnection($"Data Source={Under.DbPath}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + SqlSession.NamesLikeSql;
        foreach (var (p, v) in new[] { ("$n", "home"), ("$l", "web"), ("$lo", "web-"), ("$hi", "web.") })
        {
            cmd.Parameters.AddWithValue(p, v);
        }
        var plan = new List<string>();
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }
        var searches = plan.Where(l => l.StartsWith("SEARCH", StringComparison.Ordinal)).ToList();
        Assert.True(searches.Count == 3, "plan: " + string.Join(" | ", plan));
        Assert.All(searches, l => Assert.Contains("name>? AND name<?", l, StringComparison.Ordinal));
    }}
