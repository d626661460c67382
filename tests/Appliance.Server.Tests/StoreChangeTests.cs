using System.Net;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The store owns change: every mutator records what it changed, the version moves once per write, and the committed
/// records reach the sinks after the commit, in commit order; a rolled-back write hands nothing.
/// </summary>
public abstract class StoreChangeTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly StoreUnderTest _under;
    private readonly RecordingSink _sink = new();

    protected StoreChangeTests(StoreKind kind)
    {
        _under = new StoreUnderTest(kind);
        Store.AddChangeSink(_sink);
        Write(s => s.InsertNetwork(new NetworkRecord("home", IPNetwork.Parse("10.20.0.0/24"), null, 51820, 1420, 20, 1, T0)));
    }

    /// <summary>The store under test (a restart replaces it).</summary>
    protected IApplianceStore Store => _under.Store;

    /// <summary>The store's data, for looks beside it.</summary>
    protected StoreUnderTest Under => _under;

    public void Dispose()
    {
        _under.Dispose();
    }

    private sealed class RecordingSink : IStoreChangeSink
    {
        public List<IReadOnlyList<NetworkChangeSet>> Writes { get; } = [];

        public void Committed(IReadOnlyList<NetworkChangeSet> changes) => Writes.Add(changes);
    }

    private void Write(Action<IStoreSession> work) => Store.WriteAsync(s => { work(s); return 0; }).GetAwaiter().GetResult();

    private long Version() => Store.ReadAsync(s => s.FindNetwork("home")!.Version).GetAwaiter().GetResult();

    private static NodeRecord Node(string id, int octet, string? internetGateway = null) =>
        new(id, "home", "n-" + id, id, "pk" + id, IPAddress.Parse($"10.20.0.{octet}"), null, 51820, [], "", "", [], "hash", null, T0, null, internetGateway);

    private static ExtClientRecord Client(string id, string gateway, int octet) =>
        new(id, "home", "c-" + id, gateway, "cpk" + id, null, IPAddress.Parse($"10.20.0.{octet}"), null, true, null, T0);

    [Fact]
    public void Creating_a_network_changes_nothing_a_member_sees()
    {
        Assert.Empty(_sink.Writes);
        Assert.Equal(1, Version());
    }

    [Fact]
    public void A_write_moves_the_version_once_and_hands_the_committed_records()
    {
        Write(s =>
        {
            s.InsertNode(Node("a", 2));
            s.InsertNode(Node("b", 3));
            s.UpdateNode(Node("a", 2) with { ListenPort = 40000 });
            Assert.Equal(2, s.FindNetwork("home")!.Version); // already moved: the write's own reads see the new version
        });
        Assert.Equal(2, Version());
        var set = Assert.Single(Assert.Single(_sink.Writes));
        Assert.Equal("home", set.Network);
        Assert.Equal(2, set.Version);
        Assert.Equal(2, set.Settings!.Version);
        Assert.Equal([new StoreChange(ChangeKind.Node, "a"), new StoreChange(ChangeKind.Node, "b")], set.Changes);
        Assert.Equal(40000, set.Nodes["a"]!.ListenPort); // the record as committed, not as first written
        Assert.Equal("b", set.Nodes["b"]!.Id);
    }

    [Fact]
    public void What_no_member_sees_is_no_change()
    {
        Write(s => s.InsertNode(Node("a", 2)));
        _sink.Writes.Clear();
        Write(s =>
        {
            s.TouchNode("a", T0.AddMinutes(1));
            s.SetSetting("x", "y");
            s.HoldAddresses("home", [IPAddress.Parse("10.20.0.9")], T0.AddHours(1));
        });
        Assert.Empty(_sink.Writes);
        Assert.Equal(2, Version());
    }

    [Fact]
    public void Deleting_a_gateway_records_its_roles_its_clients_and_the_nodes_that_used_it()
    {
        Write(s =>
        {
            s.InsertNode(Node("gw", 2));
            s.InsertNode(Node("user", 3, internetGateway: "gw"));
            s.UpsertIngress(new IngressRecord("gw", "home", true, [], T0));
            s.UpsertEgress(new EgressRecord("gw", "home", [IPNetwork.Parse("0.0.0.0/0")], true, T0));
            s.InsertExtClient(Client("c1", "gw", 10));
        });
        _sink.Writes.Clear();
        Write(s => s.DeleteNode("gw"));
        var set = Assert.Single(Assert.Single(_sink.Writes));
        Assert.Equal(3, set.Version);
        Assert.Equal(
            [new(ChangeKind.ExtClient, "c1"), new(ChangeKind.Ingress, "gw"), new(ChangeKind.Egress, "gw"), new(ChangeKind.Node, "user"), new StoreChange(ChangeKind.Node, "gw")],
            set.Changes);
        Assert.Null(set.Nodes["gw"]);
        Assert.Null(set.Nodes["user"]!.InternetGateway);
        Assert.Null(set.Ingress["gw"]);
        Assert.Null(set.Egress["gw"]);
        Assert.Null(set.ExtClients["c1"]);
    }

    [Fact]
    public void Settings_and_dns_entries_come_whole()
    {
        Write(s =>
        {
            var net = s.FindNetwork("home")!;
            s.UpdateNetwork(net with { Mtu = 1380, Version = 99 }); // the version is the store's, not the caller's
            s.InsertDnsEntry(new DnsEntryRecord("d1", "home", "printer", "A", "192.168.1.5", T0));
        });
        var set = Assert.Single(Assert.Single(_sink.Writes));
        Assert.Equal([new(ChangeKind.Network, ""), new StoreChange(ChangeKind.DnsEntries, "")], set.Changes);
        Assert.Equal(1380, set.Settings!.Mtu);
        Assert.Equal(2, set.Version);
        Assert.Equal("printer", Assert.Single(set.DnsEntries!).Name);
    }

    [Fact]
    public void Deleting_the_network_hands_a_set_without_settings()
    {
        Write(s => s.InsertNode(Node("a", 2)));
        _sink.Writes.Clear();
        Write(s =>
        {
            s.DeleteNode("a");
            s.DeleteNetwork("home");
        });
        var set = Assert.Single(Assert.Single(_sink.Writes));
        Assert.True(set.NetworkRemoved);
        Assert.Equal(3, set.Version);
        Assert.Null(set.Nodes["a"]);
    }

    [Fact]
    public void A_rolled_back_write_hands_nothing_and_moves_nothing()
    {
        Assert.Throws<InvalidOperationException>(() => Write(s =>
        {
            s.InsertNode(Node("a", 2));
            throw new InvalidOperationException("refused after the insert");
        }));
        Assert.Empty(_sink.Writes);
        Assert.Equal(1, Version());
        Write(s => s.InsertNode(Node("a", 2)));
        Assert.Equal(2, Assert.Single(Assert.Single(_sink.Writes)).Version);
    }

    [Fact]
    public void Read_sessions_cannot_record_changes() =>
        Assert.Throws<InvalidOperationException>(() =>
            Store.ReadAsync(s => { s.MarkChanged("home", new StoreChange(ChangeKind.Network, "")); return 0; }).GetAwaiter().GetResult());
}
