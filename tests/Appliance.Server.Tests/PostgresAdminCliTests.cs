using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The offline admin-account CLI finds the accounts in PostgreSQL when the servers' APPLIANCE_STORE__* settings say so.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class PostgresAdminCliTests
{
    [Fact]
    public async Task Admin_add_writes_the_account_into_the_postgres_store()
    {
        var connection = PostgresCluster.Instance.CreateDatabase();
        using var dir = new TempDirectory("appliance-admin-cli");
        var env = new Dictionary<string, string>
        {
            ["APPLIANCE_STORE__KIND"] = "postgres",
            ["APPLIANCE_STORE__CONNECTIONSTRING"] = connection,
        };
        var server = Path.Combine(AppContext.BaseDirectory, "appliance-server.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [server, "admin", "add", "ops", "--data-dir", dir.Path],
            stdin: "correct horse battery staple\n", timeout: TimeSpan.FromSeconds(60), env: env);
        result.EnsureSuccess("appliance-server admin add");
        Assert.False(File.Exists(dir.Combine("appliance.db"))); // no SQLite store was made beside it
        using var store = new PostgresStore(connection);
        var account = await store.ReadAsync(s => s.FindAdminAccount("ops"));
        Assert.NotNull(account);
        Assert.True(Appliance.Server.Security.PasswordHash.Verify("correct horse battery staple", account.PasswordHash));
    }
}
