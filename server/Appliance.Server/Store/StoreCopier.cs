using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Appliance.Server.Store;

/// <summary>
/// Copies a SQLite store into an empty PostgreSQL one (<c>appliance-server migrate</c>): both are first brought to the
/// same schema version by their own migrations, then every data table is copied in one PostgreSQL transaction that also
/// holds the write lock (no server writes meanwhile), each table's row count and checksum are compared, and only then
/// is it committed. A target with any row in any data table is refused, naming what is there.
/// </summary>
public static class StoreCopier
{
    /// <summary>The data tables, parents before children (foreign keys).</summary>
    public static readonly IReadOnlyList<string> Tables =
    [
        "settings", "networks", "enrollment_keys", "nodes", "address_holds", "ingress_gateways", "egress_gateways",
        "ext_clients", "dns_entries", "signing_keys", "policies", "admin_accounts", "activity",
    ];

    /// <summary>What one table moved: its rows and the SHA-256 both sides agree on.</summary>
    public sealed record TableCopy(string Table, int Rows, string Checksum);

    /// <param name="extraSettings">Settings the target gets beside the source's (the data dir's secrets); written before the check.</param>
    /// <exception cref="InvalidOperationException">The target is not empty, or a table's count or checksum differs after the copy (nothing is committed then).</exception>
    public static IReadOnlyList<TableCopy> Copy(string sqlitePath, PostgresStore target, IReadOnlyDictionary<string, string> extraSettings)
    {
        // Opening the SQLite store brings it to this server's schema, as a start of the server would.
        using (new SqliteStore(sqlitePath))
        {
        }
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlitePath, Mode = SqliteOpenMode.ReadOnly }.ToString());
        source.Open();
        using var sourceTx = source.BeginTransaction(deferred: true);
        using var connection = target.OpenConnection();
        using var tx = connection.BeginTransaction();
        // The write turn every server write takes first (PostgresStore): no server writes while the copy runs.
        using (var turn = new NpgsqlCommand("UPDATE write_sequence SET seq = seq + 1 WHERE id = 1", connection, tx))
        {
            turn.ExecuteNonQuery();
        }
        var present = Tables.Select(t => (Table: t, Rows: Count(connection, tx, t))).Where(t => t.Rows > 0).ToList();
        if (present.Count > 0)
        {
            throw new InvalidOperationException(
                $"the target database is not empty: {string.Join(", ", present.Select(p => $"{p.Table} ({p.Rows} rows)"))}; migrate into a new database");
        }
        var copies = new List<TableCopy>();
        foreach (var table in Tables)
        {
            var columns = Columns(source, sourceTx, table);
            var rows = ReadRows(source, sourceTx, $"SELECT {string.Join(", ", columns)} FROM {table}");
            Insert(connection, tx, table, columns, rows);
            if (table == "settings")
            {
                var extra = extraSettings.Select(kv => new object?[] { kv.Key, kv.Value }).ToList();
                Insert(connection, tx, table, columns, extra);
            }
            var copied = ReadRows(connection, tx, $"SELECT {string.Join(", ", columns)} FROM {table}");
            if (table == "settings")
            {
                copied = [.. copied.Where(r => !extraSettings.ContainsKey((string)r[0]!))];
            }
            var (wantRows, want) = (rows.Count, Checksum(rows));
            var (gotRows, got) = (copied.Count, Checksum(copied));
            if (wantRows != gotRows || want != got)
            {
                throw new InvalidOperationException(
                    $"{table}: the copy does not match the source ({gotRows} rows, checksum {got[..16]} against {wantRows} rows, {want[..16]}); nothing was committed");
            }
            copies.Add(new TableCopy(table, rows.Count, want));
        }
        // The activity log's ids were copied as they were: its identity goes on after the highest.
        using (var identity = new NpgsqlCommand(
            "SELECT setval(pg_get_serial_sequence('activity', 'id'), COALESCE((SELECT MAX(id) FROM activity), 0) + 1, false)", connection, tx))
        {
            identity.ExecuteNonQuery();
        }
        tx.Commit();
        return copies;
    }

    /// <summary>How many rows a table of the target holds.</summary>
    private static long Count(NpgsqlConnection connection, NpgsqlTransaction tx, string table)
    {
        using var cmd = new NpgsqlCommand($"SELECT COUNT(*) FROM {table}", connection, tx);
        return (long)cmd.ExecuteScalar()!;
    }

    private static List<string> Columns(SqliteConnection source, SqliteTransaction tx, string table)
    {
        using var cmd = source.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid";
        using var reader = cmd.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }
        return columns.Count > 0 ? columns : throw new InvalidOperationException($"the SQLite store has no table {table}");
    }

    private static List<object?[]> ReadRows(DbConnection connection, DbTransaction tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    private static void Insert(NpgsqlConnection connection, NpgsqlTransaction tx, string table, List<string> columns, List<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        using var cmd = new NpgsqlCommand(
            $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})", connection, tx);
        foreach (var row in rows)
        {
            cmd.Parameters.Clear();
            for (var i = 0; i < columns.Count; i++)
            {
                cmd.Parameters.AddWithValue("p" + i, row[i] ?? DBNull.Value);
            }
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// SHA-256 over the table's rows in one canonical text form (integers in invariant digits, blobs in base64, null
    /// marked), the rows sorted ordinally: equal on both engines exactly when they hold the same values.
    /// </summary>
    internal static string Checksum(IEnumerable<object?[]> rows)
    {
        var lines = rows.Select(r => string.Join('\u001f', r.Select(Canonical))).Order(StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var line in lines)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(line + "\u001e"));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string Canonical(object? value) => value switch
    {
        null => "\u0000",
        byte[] b => "b:" + Convert.ToBase64String(b),
        string s => "s:" + s,
        IConvertible c when value is long or int or short or byte => "i:" + c.ToString(CultureInfo.InvariantCulture),
        IConvertible c => "?:" + c.ToString(CultureInfo.InvariantCulture),
        _ => "?:" + value,
    };
}
