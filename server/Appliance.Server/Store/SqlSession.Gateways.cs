using System.Data.Common;
using System.Net;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>The SQL for gateway roles, ext clients and custom DNS entries.</summary>
internal sealed partial class SqlSession
{
    private static IReadOnlyList<IPNetwork> ParseRanges(string s) => [.. ParseList(s).Select(IPNetwork.Parse)];
    private static string Ranges(IReadOnlyList<IPNetwork> ranges) => List([.. ranges.Select(r => r.ToString())]);

    private const string IngressColumns = "node_id, network, nat, dns, created_at";

    private static IngressRecord MapIngress(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, ParseList(r.GetString(3)), ParseTime(r.GetString(4)));

    public IReadOnlyList<IngressRecord> ListIngress(string network) =>
        Query($"SELECT {IngressColumns} FROM ingress_gateways WHERE network = $n ORDER BY node_id", MapIngress, ("$n", network));

    public IngressRecord? FindIngress(string nodeId) =>
        Query($"SELECT {IngressColumns} FROM ingress_gateways WHERE node_id = $id", MapIngress, ("$id", nodeId)).FirstOrDefault();

    public void UpsertIngress(IngressRecord i)
    {
        Execute(
            $"INSERT INTO ingress_gateways ({IngressColumns}) VALUES ($id, $n, $nat, $dns, $c) " +
            "ON CONFLICT(node_id) DO UPDATE SET nat = excluded.nat, dns = excluded.dns",
            ("$id", i.NodeId), ("$n", i.Network), ("$nat", i.Nat ? 1 : 0), ("$dns", List(i.Dns)), ("$c", Time(i.CreatedAt)));
        MarkChanged(i.Network, new StoreChange(ChangeKind.Ingress, i.NodeId));
    }

    public bool DeleteIngress(string nodeId)
    {
        var network = Query("DELETE FROM ingress_gateways WHERE node_id = $id RETURNING network", r => r.GetString(0), ("$id", nodeId)).FirstOrDefault();
        if (network is null)
        {
            return false;
        }
        MarkChanged(network, new StoreChange(ChangeKind.Ingress, nodeId));
        return true;
    }

    private const string EgressColumns = "node_id, network, ranges, nat, created_at";

    private static EgressRecord MapEgress(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), ParseRanges(r.GetString(2)), r.GetInt64(3) != 0, ParseTime(r.GetString(4)));

    public IReadOnlyList<EgressRecord> ListEgress(string network) =>
        Query($"SELECT {EgressColumns} FROM egress_gateways WHERE network = $n ORDER BY node_id", MapEgress, ("$n", network));

    public EgressRecord? FindEgress(string nodeId) =>
        Query($"SELECT {EgressColumns} FROM egress_gateways WHERE node_id = $id", MapEgress, ("$id", nodeId)).FirstOrDefault();

    public void UpsertEgress(EgressRecord e)
    {
        Execute(
            $"INSERT INTO egress_gateways ({EgressColumns}) VALUES ($id, $n, $r, $nat, $c) " +
            "ON CONFLICT(node_id) DO UPDATE SET ranges = excluded.ranges, nat = excluded.nat",
            ("$id", e.NodeId), ("$n", e.Network), ("$r", Ranges(e.Ranges)), ("$nat", e.Nat ? 1 : 0), ("$c", Time(e.CreatedAt)));
        MarkChanged(e.Network, new StoreChange(ChangeKind.Egress, e.NodeId));
    }

    public bool DeleteEgress(string nodeId)
    {
        var network = Query("DELETE FROM egress_gateways WHERE node_id = $id RETURNING network", r => r.GetString(0), ("$id", nodeId)).FirstOrDefault();
        if (network is null)
        {
            return false;
        }
        MarkChanged(network, new StoreChange(ChangeKind.Egress, nodeId));
        return true;
    }

    public int ClearInternetGateway(string gatewayId)
    {
        // Each of those nodes' own interface changes (its internet gateway): they are changed records of the write.
        var cleared = Query("UPDATE nodes SET internet_gateway = NULL WHERE internet_gateway = $id RETURNING id, network",
            r => (Id: r.GetString(0), Network: r.GetString(1)), ("$id", gatewayId));
        foreach (var (id, network) in cleared)
        {
            MarkChanged(network, new StoreChange(ChangeKind.Node, id));
        }
        return cleared.Count;
    }

    private const string ExtClientColumns =
        "id, network, name, gateway, public_key, private_key, ipv4, ipv6, enabled, expires_at, created_at, rx_bytes, tx_bytes, last_handshake, expiry_published";

    private static ExtClientRecord MapExtClient(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), NullableString(r, 5),
        r.IsDBNull(6) ? null : IPAddress.Parse(r.GetString(6)),
        r.IsDBNull(7) ? null : IPAddress.Parse(r.GetString(7)),
        r.GetInt64(8) != 0,
        r.IsDBNull(9) ? null : ParseTime(r.GetString(9)),
        ParseTime(r.GetString(10)),
        r.IsDBNull(11) ? null : r.GetInt64(11),
        r.IsDBNull(12) ? null : r.GetInt64(12),
        r.IsDBNull(13) ? null : ParseTime(r.GetString(13)),
        r.GetInt64(14) != 0);

    public IReadOnlyList<ExtClientRecord> ListExtClients(string? network) => network is null
        ? Query($"SELECT {ExtClientColumns} FROM ext_clients ORDER BY network, name", MapExtClient)
        : Query($"SELECT {ExtClientColumns} FROM ext_clients WHERE network = $n ORDER BY name", MapExtClient, ("$n", network));

    public IReadOnlyList<ExtClientRecord> ListExtClientsOfGateway(string gatewayId) =>
        Query($"SELECT {ExtClientColumns} FROM ext_clients WHERE gateway = $g ORDER BY name", MapExtClient, ("$g", gatewayId));

    public ExtClientRecord? FindExtClient(string id) =>
        Query($"SELECT {ExtClientColumns} FROM ext_clients WHERE id = $id", MapExtClient, ("$id", id)).FirstOrDefault();

    public void InsertExtClient(ExtClientRecord c)
    {
        Execute(
            $"INSERT INTO ext_clients ({ExtClientColumns}) VALUES ($id, $n, $name, $g, $pk, $sk, $v4, $v6, $en, $exp, $c, NULL, NULL, NULL, $pub)",
            ("$id", c.Id), ("$n", c.Network), ("$name", c.Name), ("$g", c.Gateway), ("$pk", c.PublicKey), ("$sk", c.PrivateKey),
            ("$v4", c.Ipv4?.ToString()), ("$v6", c.Ipv6?.ToString()), ("$en", c.Enabled ? 1 : 0), ("$exp", Time(c.ExpiresAt)),
            ("$c", Time(c.CreatedAt)), ("$pub", c.ExpiryPublished ? 1 : 0));
        UseAddresses(c.Network, c.Ipv4, c.Ipv6);
        MarkChanged(c.Network, new StoreChange(ChangeKind.ExtClient, c.Id));
    }

    public void UpdateExtClient(ExtClientRecord c)
    {
        var network = Query(
            "UPDATE ext_clients SET name = $name, enabled = $en, expires_at = $exp, expiry_published = $pub WHERE id = $id RETURNING network",
            r => r.GetString(0),
            ("$id", c.Id), ("$name", c.Name), ("$en", c.Enabled ? 1 : 0), ("$exp", Time(c.ExpiresAt)), ("$pub", c.ExpiryPublished ? 1 : 0)).FirstOrDefault();
        if (network is not null)
        {
            MarkChanged(network, new StoreChange(ChangeKind.ExtClient, c.Id));
        }
    }

    public void SetExtClientCounters(string id, long rxBytes, long txBytes, DateTimeOffset? lastHandshake) => Execute(
        "UPDATE ext_clients SET rx_bytes = $rx, tx_bytes = $tx, last_handshake = $hs WHERE id = $id",
        ("$id", id), ("$rx", rxBytes), ("$tx", txBytes), ("$hs", Time(lastHandshake)));

    public bool DeleteExtClient(string id)
    {
        ReleaseAddressesOfRows("SELECT network, ipv4, ipv6 FROM ext_clients WHERE id = $id", ("$id", id));
        var network = Query("DELETE FROM ext_clients WHERE id = $id RETURNING network", r => r.GetString(0), ("$id", id)).FirstOrDefault();
        if (network is null)
        {
            return false;
        }
        MarkChanged(network, new StoreChange(ChangeKind.ExtClient, id));
        return true;
    }

    // Times are stored as round-trip UTC text of one fixed width, so text order is time order.
    public IReadOnlyList<ExtClientRecord> ListUnpublishedExpiries(DateTimeOffset now) =>
        Query($"SELECT {ExtClientColumns} FROM ext_clients WHERE expiry_published = 0 AND expires_at IS NOT NULL AND expires_at <= $now ORDER BY expires_at",
            MapExtClient, ("$now", Time(now)));

    public DateTimeOffset? NextUnpublishedExpiry() =>
        Query("SELECT MIN(expires_at) FROM ext_clients WHERE expiry_published = 0 AND expires_at IS NOT NULL",
            r => r.IsDBNull(0) ? (DateTimeOffset?)null : ParseTime(r.GetString(0))).FirstOrDefault();

    private const string DnsColumns = "id, network, name, type, value, created_at";

    private static DnsEntryRecord MapDns(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), ParseTime(r.GetString(5)));

    public IReadOnlyList<DnsEntryRecord> ListDnsEntries(string network) =>
        Query($"SELECT {DnsColumns} FROM dns_entries WHERE network = $n ORDER BY name, type, value", MapDns, ("$n", network));

    public void InsertDnsEntry(DnsEntryRecord d)
    {
        Execute(
            $"INSERT INTO dns_entries ({DnsColumns}) VALUES ($id, $n, $name, $t, $v, $c)",
            ("$id", d.Id), ("$n", d.Network), ("$name", d.Name), ("$t", d.Type), ("$v", d.Value), ("$c", Time(d.CreatedAt)));
        MarkChanged(d.Network, new StoreChange(ChangeKind.DnsEntries, string.Empty));
    }

    public bool DeleteDnsEntry(string network, string id)
    {
        if (Execute("DELETE FROM dns_entries WHERE network = $n AND id = $id", ("$n", network), ("$id", id)) != 1)
        {
            return false;
        }
        MarkChanged(network, new StoreChange(ChangeKind.DnsEntries, string.Empty));
        return true;
    }
}
