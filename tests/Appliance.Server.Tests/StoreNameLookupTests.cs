using System.Net;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The unique-name lookup of a join: the right candidates, read from an index range (not every name of the network).</summary>
public abstract class StoreNameLookupTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly StoreUnderTest _under;

    protected StoreNameLookupTests(StoreKind kind)
    {
        _under = new StoreUnderTest(kind);
    }

    /// <summary>The store under test (a restart replaces it).</summary>
    protected IApplianceStore Store => _under.Store;

    /// <summary>The store's data, for looks beside it.</summary>
    protected StoreUnderTest Under => _under;

    public void Dispose()
    {
        _under.Dispose();
    }

    [Fact]
    public async Task Names_like_a_label_are_the_label_and_its_dash_suffixes_across_nodes_ext_clients_and_dns_entries()
    {
        var names = await Store.WriteAsync(s =>
        {
            s.InsertNetwork(new NetworkRecord("home", IPNetwork.Parse("10.30.0.0/24"), null, 51820, 1420, 20, 1, T0));
            s.InsertNetwork(new NetworkRecord("other", IPNetwork.Parse("10.31.0.0/24"), null, 51820, 1420, 20, 1, T0));
            var i = 0;
            foreach (var (network, name) in new[] { ("home", "web"), ("home", "web-2"), ("home", "webby"), ("home", "web2"), ("home", "we"), ("other", "web-3") })
            {
                i++;
                s.InsertNode(new NodeRecord($"n{i}", network, name, name, $"pk{i}", null, null, 51820, [], "", "", [], "h", null, T0, null));
            }
            s.InsertExtClient(new ExtClientRecord("ext-1", "home", "web-phone", "n1", "cpk", null, null, null, true, null, T0));
            s.InsertDnsEntry(new DnsEntryRecord("d1", "home", "web-4", "A", "192.0.2.1", T0));
            s.InsertDnsEntry(new DnsEntryRecord("d2", "home", "web.sub", "A", "192.0.2.2", T0));
            return s.NamesLike("home", "web");
        });
        Assert.Equal(new[] { "web", "web-2", "web-4", "web-phone" }, names.Order(StringComparer.Ordinal));
        Assert.Equal("web-3", Services.JoinService.UniqueName("web", names));
    }
}
