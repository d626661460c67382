using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>
/// The SQL behind <see cref="IStoreSession"/>, shared by the SQLite and the PostgreSQL store (plain SQL both run; what
/// differs is in <see cref="SqlDialect"/>); lists are stored as JSON arrays, times as round-trip UTC text. A write
/// session also keeps the store's <see cref="AddressBook"/> in step with what it writes (null in read sessions).
/// </summary>
internal sealed partial class SqlSession(DbConnection connection, DbTransaction transaction, SqlDialect dialect, AddressBook? addresses = null) : IStoreSession
{
    private DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = dialect.Sql(sql);
        foreach (var (name, value) in parameters)
        {
            var parameter = cmd.CreateParameter();
            parameter.ParameterName = dialect.ParameterName(name);
            parameter.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(parameter);
        }
        return cmd;
    }

    /// <summary>The value of a connection setting (<c>PRAGMA name</c>), for tests and diagnostics.</summary>
    internal long Pragma(string name)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || c == '_'))
        {
            throw new ArgumentException($"not a pragma name: '{name}'", nameof(name));
        }
        using var cmd = Command("PRAGMA " + name + ";");
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private int Execute(string sql, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private List<T> Query<T>(string sql, Func<DbDataReader, T> map, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        using var reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }
        return list;
    }

    private static string? Time(DateTimeOffset? t) => t is { } v ? Time(v) : null;
    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    private static string List(IReadOnlyList<string> items) => JsonSerializer.Serialize(items, StoreJsonContext.Default.IReadOnlyListString);
    private static IReadOnlyList<string> ParseList(string s) => JsonSerializer.Deserialize(s, StoreJsonContext.Default.IReadOnlyListString) ?? [];
    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public string? GetSetting(string key) =>
        Query("SELECT value FROM settings WHERE key = $k", r => r.GetString(0), ("$k", key)).FirstOrDefault();

    public void SetSetting(string key, string value) =>
        Execute("INSERT INTO settings (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", ("$k", key), ("$v", value));

    private const string NetworkColumns = "name, ipv4_cidr, ipv6_cidr, listen_port, mtu, keepalive, version, created_at, epoch, punching";

    private static NetworkRecord MapNetwork(DbDataReader r) => new(
        r.GetString(0),
        IPNetwork.Parse(r.GetString(1)),
        r.IsDBNull(2) ? null : IPNetwork.Parse(r.GetString(2)),
        r.GetInt32(3),
        r.GetInt32(4),
        r.GetInt32(5),
        r.GetInt64(6),
        ParseTime(r.GetString(7)))
    {
        Epoch = r.GetString(8),
        Punching = r.GetInt64(9) != 0,
    };

    public IReadOnlyList<NetworkRecord> ListNetworks() =>
        Query($"SELECT {NetworkColumns} FROM networks ORDER BY name", MapNetwork);

    public NetworkRecord? FindNetwork(string name) =>
        Query($"SELECT {NetworkColumns} FROM networks WHERE name = $n", MapNetwork, ("$n", name)).FirstOrDefault();

    public void InsertNetwork(NetworkRecord n) => Execute(
        $"INSERT INTO networks ({NetworkColumns}) VALUES ($n, $v4, $v6, $p, $m, $k, $ver, $c, $e, $punch)",
        ("$n", n.Name), ("$v4", n.Ipv4Cidr.ToString()), ("$v6", n.Ipv6Cidr?.ToString()), ("$p", n.ListenPort),
        ("$m", n.Mtu), ("$k", n.Keepalive), ("$ver", n.Version), ("$c", Time(n.CreatedAt)),
        // A record made without one (tests, tools) still gets a lineage of its own.
        ("$e", n.Epoch.Length > 0 ? n.Epoch : NetworkRecord.NewEpoch()), ("$punch", n.Punching ? 1 : 0));

    /// <summary>Writes the network's settings; its version is the store's to move (once per write that changes anything).</summary>
    public void UpdateNetwork(NetworkRecord n)
    {
        Execute(
            "UPDATE networks SET ipv4_cidr = $v4, ipv6_cidr = $v6, listen_port = $p, mtu = $m, keepalive = $k, punching = $punch WHERE name = $n",
            ("$n", n.Name), ("$v4", n.Ipv4Cidr.ToString()), ("$v6", n.Ipv6Cidr?.ToString()), ("$p", n.ListenPort),
            ("$m", n.Mtu), ("$k", n.Keepalive), ("$punch", n.Punching ? 1 : 0));
        MarkChanged(n.Name, new StoreChange(ChangeKind.Network, string.Empty));
    }

    public bool AnyNodes() => Query("SELECT 1 FROM nodes LIMIT 1", r => true).Count > 0;

    public IReadOnlyList<SigningKeyRecord> ListSigningKeys() => Query(
        "SELECT seq, public_key, announcement, created_at FROM signing_keys ORDER BY seq",
        r => new SigningKeyRecord(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : (byte[])r.GetValue(2), ParseTime(r.GetString(3))));

    public void InsertSigningKey(SigningKeyRecord key)
    {
        Execute(
            "INSERT INTO signing_keys (seq, public_key, announcement, created_at) VALUES ($s, $k, $a, $c)",
            ("$s", key.Sequence), ("$k", key.PublicKey), ("$a", key.Announcement), ("$c", Time(key.CreatedAt)));
        InsertedSigningKey = key.Sequence;
    }

    /// <summary>The sequence of the signing key this write added (a rotation), for the change feed; null when none.</summary>
    internal long? InsertedSigningKey { get; private set; }

    public void DeleteSigningKeys() => Execute("DELETE FROM signing_keys");

    public void DeleteNetwork(string name)
    {
        MarkChanged(name, new StoreChange(ChangeKind.Network, string.Empty));
        ForgetAddresses(name);
        Execute("DELETE FROM address_holds WHERE network = $n", ("$n", name));
        Execute("DELETE FROM dns_entries WHERE network = $n", ("$n", name));
        Execute("DELETE FROM policies WHERE network = $n", ("$n", name));
        Execute("DELETE FROM networks WHERE name = $n", ("$n", name));
    }

    private const string KeyColumns = "id, secret_hash, networks, uses_remaining, expires_at, tags, created_at";

    private static EnrollmentKeyRecord MapKey(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        ParseList(r.GetString(2)),
        r.IsDBNull(3) ? null : r.GetInt32(3),
        r.IsDBNull(4) ? null : ParseTime(r.GetString(4)),
        ParseList(r.GetString(5)),
        ParseTime(r.GetString(6)));

    public IReadOnlyList<EnrollmentKeyRecord> ListEnrollmentKeys() =>
        Query($"SELECT {KeyColumns} FROM enrollment_keys ORDER BY created_at, id", MapKey);

    public EnrollmentKeyRecord? FindEnrollmentKey(string id) =>
        Query($"SELECT {KeyColumns} FROM enrollment_keys WHERE id = $id", MapKey, ("$id", id)).FirstOrDefault();

    public EnrollmentKeyRecord? FindEnrollmentKeyBySecretHash(string secretHash) =>
        Query($"SELECT {KeyColumns} FROM enrollment_keys WHERE secret_hash = $h", MapKey, ("$h", secretHash)).FirstOrDefault();

    public void InsertEnrollmentKey(EnrollmentKeyRecord k) => Execute(
        $"INSERT INTO enrollment_keys ({KeyColumns}) VALUES ($id, $h, $n, $u, $e, $t, $c)",
        ("$id", k.Id), ("$h", k.SecretHash), ("$n", List(k.Networks)), ("$u", k.UsesRemaining),
        ("$e", k.ExpiresAt is { } e ? Time(e) : null), ("$t", List(k.Tags)), ("$c", Time(k.CreatedAt)));

    public bool DeleteEnrollmentKey(string id) => Execute("DELETE FROM enrollment_keys WHERE id = $id", ("$id", id)) == 1;

    public bool TryConsumeEnrollmentKeyUse(string id) => Execute(
        "UPDATE enrollment_keys SET uses_remaining = uses_remaining - 1 WHERE id = $id AND uses_remaining > 0", ("$id", id)) == 1
        || Query("SELECT 1 FROM enrollment_keys WHERE id = $id AND uses_remaining IS NULL", r => true, ("$id", id)).Count == 1;

    public void SetEnrollmentKeyNetworks(string id, IReadOnlyList<string> networks) =>
        Execute("UPDATE enrollment_keys SET networks = $n WHERE id = $id", ("$id", id), ("$n", List(networks)));

    private const string NodeColumns =
        "id, network, name, hostname, public_key, ipv4, ipv6, listen_port, endpoints, os, version, tags, credential_hash, enrollment_key_id, created_at, last_seen, internet_gateway, relay, mapped_endpoint, no_relay, no_punch";

    private static NodeRecord MapNode(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : IPAddress.Parse(r.GetString(5)),
        r.IsDBNull(6) ? null : IPAddress.Parse(r.GetString(6)),
        r.GetInt32(7), ParseList(r.GetString(8)), r.GetString(9), r.GetString(10), ParseList(r.GetString(11)),
        r.GetString(12), NullableString(r, 13), ParseTime(r.GetString(14)),
        r.IsDBNull(15) ? null : ParseTime(r.GetString(15)),
        NullableString(r, 16), r.GetInt64(17) != 0, NullableString(r, 18), r.GetInt64(19) != 0, r.GetInt64(20) != 0);

    public IReadOnlyList<NodeRecord> ListNodes(string? network) => network is null
        ? Query($"SELECT {NodeColumns} FROM nodes ORDER BY network, name", MapNode)
        : Query($"SELECT {NodeColumns} FROM nodes WHERE network = $n ORDER BY name", MapNode, ("$n", network));

    public NodeRecord? FindNode(string id) =>
        Query($"SELECT {NodeColumns} FROM nodes WHERE id = $id", MapNode, ("$id", id)).FirstOrDefault();

    public int CountNodes(string network) =>
        Query("SELECT CAST(COUNT(*) AS INTEGER) FROM nodes WHERE network = $n", r => r.GetInt32(0), ("$n", network))[0];

    public HashSet<string> NodeNames(string network) =>
        [.. Query("SELECT name FROM nodes WHERE network = $n UNION SELECT name FROM ext_clients WHERE network = $n UNION SELECT name FROM dns_entries WHERE network = $n",
            r => r.GetString(0), ("$n", network))];

    // "label" and "label-..." sort in [label, "label.") ('.' follows '-' in ASCII), so each table needs one index range.
    // The range must be a plain AND of bounds: with "name = $l OR (...)" alone SQLite walks every name of the network.
    private const string NameRange = "network = $n AND name >= $l AND name < $hi AND (name = $l OR name > $lo)";

    internal const string NamesLikeSql =
        $"SELECT name FROM nodes WHERE {NameRange} UNION SELECT name FROM ext_clients WHERE {NameRange} UNION SELECT name FROM dns_entries WHERE {NameRange}";

    public HashSet<string> NamesLike(string network, string label) =>
        [.. Query(NamesLikeSql, r => r.GetString(0), ("$n", network), ("$l", label), ("$lo", label + "-"), ("$hi", label + "."))];

    public bool PublicKeyInUse(string network, string publicKey) =>
        Query("SELECT 1 FROM nodes WHERE network = $n AND public_key = $k UNION ALL SELECT 1 FROM ext_clients WHERE network = $n AND public_key = $k",
            r => true, ("$n", network), ("$k", publicKey)).Count > 0;

    public void InsertNode(NodeRecord n)
    {
        Execute(
            $"INSERT INTO nodes ({NodeColumns}) VALUES ($id, $net, $name, $host, $pk, $v4, $v6, $port, $ep, $os, $ver, $tags, $cred, $key, $c, $seen, $igw, $relay, $mapped, $norelay, $nopunch)",
            NodeParameters(n));
        UseAddresses(n.Network, n.Ipv4, n.Ipv6);
        MarkChanged(n.Network, new StoreChange(ChangeKind.Node, n.Id));
    }

    public void UpdateNode(NodeRecord n)
    {
        // Addresses never change after a join today; if a caller ever changes them, the pools follow.
        ReleaseAddressesOfRows("SELECT network, ipv4, ipv6 FROM nodes WHERE id = $id AND (ipv4 IS DISTINCT FROM $v4 OR ipv6 IS DISTINCT FROM $v6)",
            ("$id", n.Id), ("$v4", n.Ipv4?.ToString()), ("$v6", n.Ipv6?.ToString()));
        Execute(
            "UPDATE nodes SET name = $name, hostname = $host, public_key = $pk, ipv4 = $v4, ipv6 = $v6, listen_port = $port, endpoints = $ep, " +
            "os = $os, version = $ver, tags = $tags, credential_hash = $cred, last_seen = $seen, internet_gateway = $igw, " +
            "relay = $relay, mapped_endpoint = $mapped, no_relay = $norelay, no_punch = $nopunch WHERE id = $id",
            NodeParameters(n));
        UseAddresses(n.Network, n.Ipv4, n.Ipv6);
        MarkChanged(n.Network, new StoreChange(ChangeKind.Node, n.Id));
    }

    private static (string, object?)[] NodeParameters(NodeRecord n) =>
    [
        ("$id", n.Id), ("$net", n.Network), ("$name", n.Name), ("$host", n.Hostname), ("$pk", n.PublicKey),
        ("$v4", n.Ipv4?.ToString()), ("$v6", n.Ipv6?.ToString()), ("$port", n.ListenPort), ("$ep", List(n.Endpoints)),
        ("$os", n.Os), ("$ver", n.Version), ("$tags", List(n.Tags)), ("$cred", n.CredentialHash),
        ("$key", n.EnrollmentKeyId), ("$c", Time(n.CreatedAt)), ("$seen", Time(n.LastSeen)), ("$igw", n.InternetGateway),
        ("$relay", n.Relay ? 1 : 0), ("$mapped", n.MappedEndpoint), ("$norelay", n.NoRelay ? 1 : 0), ("$nopunch", n.NoPunch ? 1 : 0),
    ];

    /// <summary>Deletes the node with its gateway roles and ext clients; nodes routing their internet traffic through it go back to their own.</summary>
    public void DeleteNode(string id)
    {
        var network = NetworkOfNode(id);
        if (network is null)
        {
            return;
        }
        ReleaseAddressesOfRows(
            "SELECT network, ipv4, ipv6 FROM nodes WHERE id = $id UNION ALL SELECT network, ipv4, ipv6 FROM ext_clients WHERE gateway = $id", ("$id", id));
        foreach (var client in Query("SELECT id FROM ext_clients WHERE gateway = $id", r => r.GetString(0), ("$id", id)))
        {
            MarkChanged(network, new StoreChange(ChangeKind.ExtClient, client));
        }
        Execute("DELETE FROM ext_clients WHERE gateway = $id", ("$id", id));
        DeleteIngress(id);
        DeleteEgress(id);
        ClearInternetGateway(id);
        Execute("DELETE FROM nodes WHERE id = $id", ("$id", id));
        MarkChanged(network, new StoreChange(ChangeKind.Node, id));
    }

    public void TouchNode(string id, DateTimeOffset lastSeen) =>
        Execute("UPDATE nodes SET last_seen = $t WHERE id = $id", ("$id", id), ("$t", Time(lastSeen)));

    public void HoldAddresses(string network, IEnumerable<IPAddress> addresses, DateTimeOffset until)
    {
        foreach (var a in addresses)
        {
            Execute(
                "INSERT INTO address_holds (network, address, until) VALUES ($n, $a, $u) ON CONFLICT(network, address) DO UPDATE SET until = excluded.until",
                ("$n", network), ("$a", a.ToString()), ("$u", Time(until)));
            HoldAddress(network, a, until);
        }
    }
}
