using System.Net;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

// The store contract suites on a real PostgreSQL (PostgresCluster: one server per test run, a fresh database per test),
// and what only a shared database has: several stores (servers) writing at once.

[Trait("Category", TestCategories.Integration)]
public sealed class PostgresStoreChangeTests() : StoreChangeTests(StoreKind.Postgres);

[Trait("Category", TestCategories.Integration)]
public sealed class PostgresStoreAddressTests() : StoreAddressTests(StoreKind.Postgres)
{
    [Fact]
    public async Task Two_stores_on_one_database_never_hand_out_one_address_twice()
    {
        using var other = (PostgresStore)Under.OpenAnother();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var joined = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : other).WriteAsync(s =>
            {
                var net = s.FindNetwork("home")!;
                var node = new NodeRecord($"x{i}", "home", $"x{i}", $"x{i}", $"xpk{i}", s.NextFreeAddress("home", net.Ipv4Cidr, t0), null,
                    51820, [], "", "", [], "hash", null, t0, null);
                s.InsertNode(node);
                return node;
            }))));
        Assert.Equal(120, joined.Select(n => n.Ipv4).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 120).Select(i => IPAddress.Parse($"10.20.0.{i}")).ToHashSet(), joined.Select(n => n.Ipv4!).ToHashSet());
        // Each write moved the version once, whichever server made it.
        Assert.Equal(1 + 120, await other.ReadAsync(s => s.FindNetwork("home")!.Version));
    }

    [Fact]
    public async Task A_single_use_key_is_taken_once_across_stores()
    {
        using var other = (PostgresStore)Under.OpenAnother();
        await Store.WriteAsync(s =>
        {
            s.InsertEnrollmentKey(new EnrollmentKeyRecord("k1", "hash-k1", ["home"], 1, null, [], DateTimeOffset.UnixEpoch));
            return 0;
        });
        var taken = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : other).WriteAsync(s => s.TryConsumeEnrollmentKeyUse("k1")))));
        Assert.Equal(1, taken.Count(t => t));
        Assert.Equal(0, (await other.ReadAsync(s => s.FindEnrollmentKey("k1")))!.UsesRemaining);
    }

    [Fact]
    public async Task Names_sort_in_byte_order_in_a_database_of_a_language_collation()
    {
        // ICU's en-US puts '_' before '-' before '.'; the store's columns are of the "C" collation (PostgresMigrations),
        // so lists come in the byte order SQLite gives and the name index ranges ('.' right after '-') hold.
        var connection = PostgresCluster.Instance.CreateDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
        using var store = new PostgresStore(connection);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        string[] names = ["ab", "a_b", "a.b", "a-b", "a"];
        var (listed, like) = await store.WriteAsync(s =>
        {
            s.InsertNetwork(new NetworkRecord("home", IPNetwork.Parse("10.40.0.0/24"), null, 51820, 1420, 20, 1, t0));
            foreach (var (name, i) in names.Select((n, i) => (n, i)))
            {
                s.InsertNode(new NodeRecord($"n{i}", "home", name, name, $"pk{i}", null, null, 51820, [], "", "", [], "h", null, t0, null));
            }
            return (s.ListNodes("home").Select(n => n.Name).ToList(), s.NamesLike("home", "a"));
        });
        Assert.Equal(names.Order(StringComparer.Ordinal), listed);
        Assert.Equal(new[] { "a", "a-b" }, like.Order(StringComparer.Ordinal));
    }
}

[Trait("Category", TestCategories.Integration)]
public sealed class PostgresStoreNameLookupTests() : StoreNameLookupTests(StoreKind.Postgres);
