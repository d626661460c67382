using Appliance.Server.Configuration;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Tests;

/// <summary>Store:Kind and Store:ConnectionString (--store, APPLIANCE_STORE__*): SQLite by default, clear start-up errors otherwise.</summary>
public sealed class StoreOptionsTests
{
    private static ServerOptions Parse(params (string Key, string? Value)[] settings) =>
        ServerOptions.Parse(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => s.Value)).Build());

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Sqlite_is_the_default_and_postgres_takes_its_connection_string()
    {
        var defaults = Parse();
        Assert.Equal(StoreKind.Sqlite, defaults.Store);
        Assert.Null(defaults.StoreConnectionString);
        var pg = Parse(("Store:Kind", "Postgres"), ("Store:ConnectionString", " Host=db;Database=appliance "));
        Assert.Equal(StoreKind.Postgres, pg.Store);
        Assert.Equal("Host=db;Database=appliance", pg.StoreConnectionString);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("mysql", null, "Store:Kind (--store) must be sqlite or postgres, not 'mysql'")]
    [InlineData("postgres", null, "Store:Kind postgres needs Store:ConnectionString (or APPLIANCE_STORE__CONNECTIONSTRING)")]
    [InlineData("postgres", "  ", "Store:Kind postgres needs Store:ConnectionString")]
    [InlineData(null, "Host=db", "Store:ConnectionString is set but Store:Kind is sqlite")]
    public void Bad_store_settings_stop_the_start_naming_the_key(string? kind, string? connection, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse(("Store:Kind", kind), ("Store:ConnectionString", connection)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void An_unreachable_database_is_named_by_host_and_port()
    {
        // Nothing listens on port 1 of the loopback address: refused at once.
        var e = Assert.Throws<InvalidOperationException>(() => new PostgresStore("Host=127.0.0.1;Port=1;Database=appliance;Username=a;Password=secret-pw;Timeout=5"));
        Assert.Contains("cannot use the PostgreSQL store at 127.0.0.1:1/appliance", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", e.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<InvalidOperationException>(() => new PostgresStore("Hostt=db"));
        Assert.Contains("not a PostgreSQL connection string", bad.Message, StringComparison.Ordinal);
    }
}
