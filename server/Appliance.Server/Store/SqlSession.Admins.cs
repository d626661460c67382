using System.Data.Common;
using Appliance.Server.Domain;

namespace Appliance.Server.Store;

/// <summary>The web console's accounts (table <c>admin_accounts</c>). Members never see them: no change is recorded.</summary>
internal sealed partial class SqlSession
{
    private const string AdminColumns = "name, password_hash, created_at, password_changed_at";

    private static AdminAccountRecord MapAdmin(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), ParseTime(r.GetString(2)), ParseTime(r.GetString(3)));

    public IReadOnlyList<AdminAccountRecord> ListAdminAccounts() =>
        Query($"SELECT {AdminColumns} FROM admin_accounts ORDER BY name", MapAdmin);

    public AdminAccountRecord? FindAdminAccount(string name) =>
        Query($"SELECT {AdminColumns} FROM admin_accounts WHERE name = $n", MapAdmin, ("$n", name)).FirstOrDefault();

    public void UpsertAdminAccount(AdminAccountRecord a) => Execute(
        $"INSERT INTO admin_accounts ({AdminColumns}) VALUES ($n, $h, $c, $p) " +
        "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, password_changed_at = excluded.password_changed_at",
        ("$n", a.Name), ("$h", a.PasswordHash), ("$c", Time(a.CreatedAt)), ("$p", Time(a.PasswordChangedAt)));

    public bool DeleteAdminAccount(string name) => Execute("DELETE FROM admin_accounts WHERE name = $n", ("$n", name)) > 0;
}
