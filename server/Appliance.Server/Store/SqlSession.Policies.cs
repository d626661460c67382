using System.Data.Common;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

// A network's access policy: one row, replaced whole; every change is a ChangeKind.Policy change of its network.
internal sealed partial class SqlSession
{
    private static PolicyRecord MapPolicy(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt64(2), ParseTime(r.GetString(3)));

    public PolicyRecord? FindPolicy(string network) =>
        Query("SELECT network, text, revision, updated_at FROM policies WHERE network = $n", MapPolicy, ("$n", network)).FirstOrDefault();

    public PolicyRecord SetPolicy(string network, string text, DateTimeOffset now)
    {
        using var cmd = Command(
            """
            INSERT INTO policies (network, text, revision, updated_at) VALUES ($n, $t, 1, $u)
            ON CONFLICT(network) DO UPDATE SET text = excluded.text, revision = policies.revision + 1, updated_at = excluded.updated_at
            RETURNING network, text, revision, updated_at
            """,
            ("$n", network), ("$t", text), ("$u", Time(now)));
        using var reader = cmd.ExecuteReader();
        reader.Read();
        var record = MapPolicy(reader);
        MarkChanged(network, new StoreChange(ChangeKind.Policy, string.Empty));
        return record;
    }

    public bool DeletePolicy(string network)
    {
        if (Execute("DELETE FROM policies WHERE network = $n", ("$n", network)) != 1)
        {
            return false;
        }
        MarkChanged(network, new StoreChange(ChangeKind.Policy, string.Empty));
        return true;
    }
}
