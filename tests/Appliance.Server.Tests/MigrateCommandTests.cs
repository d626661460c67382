using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Server.Cli;
using Appliance.Server.Services;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// <c>appliance-server migrate</c> on a SQLite server filled through the API: every table and the data dir's secrets
/// reach an empty PostgreSQL database, verified; a server on it carries on (same CA, signing key, server id, admin
/// token, nodes, next address); a second run refuses the now non-empty target and names what is there.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task A_sqlite_installation_moves_to_postgres_and_a_server_there_carries_on()
    {
        using var oldDir = new TempDirectory("appliance-migrate-from");
        using var newDir = new TempDirectory("appliance-migrate-to");
        string fingerprint, signingKey, serverId;
        JoinResponse kept;
        using (var s = new ServerFactory(oldDir.Path))
        {
            await s.CreateNetworkAsync("home", "10.80.0.0/24", "fd80::/64");
            var key = await s.CreateKeyAsync("home", uses: 5, tags: ["lab"]);
            var gateway = await s.JoinAsync(key, "gateway");
            kept = await s.JoinAsync(key, "kept");
            var gone = await s.JoinAsync(key, "gone");
            using var admin = s.Admin();
            await Http.EnsureAsync(await admin.PutAsJsonAsync($"/api/v1/nodes/{gateway.NodeId}/egress", new EgressRequest { Ranges = ["192.168.8.0/24"] }));
            await Http.EnsureAsync(await admin.PutAsJsonAsync($"/api/v1/nodes/{gateway.NodeId}/ingress", new IngressRequest()));
            await Http.EnsureAsync(await admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", new CreateExtClientRequest { Name = "phone", Gateway = gateway.NodeId }));
            await Http.EnsureAsync(await admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "nas", Type = "A", Value = "192.168.8.2" }));
            await Http.EnsureAsync(await admin.PutAsync("/api/v1/networks/home/policy",
                new StringContent("""{ "rules": [ { "from": ["tag:lab"], "to": ["tag:lab"], "ports": ["icmp"] } ] }""", System.Text.Encoding.UTF8, "application/json")));
            await Http.EnsureAsync(await admin.DeleteAsync($"/api/v1/nodes/{gone.NodeId}")); // its addresses are held
            await Http.EnsureAsync(await admin.PostAsync("/api/v1/signing-key/rotate", null)); // a chain of two keys
            await s.Services.GetRequiredService<AdminAccountService>().AddAsync("ops", "correct horse battery staple", default);
            fingerprint = s.Certificates!.CaFingerprint;
            signingKey = s.SigningPublicKey;
            serverId = s.ServerId;
        }

        var connection = PostgresCluster.Instance.CreateDatabase();
        var db = Path.Combine(oldDir.Path, "appliance.db");
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            Assert.True(MigrateCommand.Run($"sqlite:{db}", $"postgres:{connection}", null, output, error) == 0, error.ToString());
            var printed = output.ToString();
            foreach (var (table, rows) in new[] { ("networks", 1), ("enrollment_keys", 1), ("nodes", 2), ("address_holds", 2), ("ingress_gateways", 1),
                ("egress_gateways", 1), ("ext_clients", 1), ("dns_entries", 1), ("policies", 1), ("signing_keys", 2), ("admin_accounts", 1) })
            {
                Assert.Matches($@"(?m)^\s+{table}\s+{rows} rows\s+sha256 [0-9a-f]{{16}}\s+matches$", printed);
            }
            Assert.Contains("secrets from " + oldDir.Path + ": ca.crt, ca.key, signing.key", printed, StringComparison.Ordinal);
        }

        // A second run finds the target taken and says by what; nothing changes.
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            Assert.Equal(1, MigrateCommand.Run($"sqlite:{db}", $"postgres:{connection}", null, output, error));
            Assert.Contains("not empty", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("nodes (2 rows)", error.ToString(), StringComparison.Ordinal);
        }

        // The operator copies the admin token (only its hash moved) and starts a server on the database.
        File.Copy(Path.Combine(oldDir.Path, "admin.token"), Path.Combine(newDir.Path, "admin.token"));
        using var moved = new ServerFactory(newDir.Path, settings: new Dictionary<string, string?> { ["Store:Kind"] = "postgres", ["Store:ConnectionString"] = connection });
        Assert.Equal(fingerprint, moved.Certificates!.CaFingerprint);
        Assert.Equal(signingKey, moved.SigningPublicKey);
        Assert.Equal(serverId, moved.ServerId);
        using var movedAdmin = moved.Admin();
        var nodes = await movedAdmin.GetFromJsonAsync<List<NodeDto>>("/api/v1/networks/home/nodes");
        Assert.Equal(["gateway", "kept"], nodes!.Select(n => n.Name).Order(StringComparer.Ordinal));
        using var asNode = moved.As(kept.Credential);
        Assert.Equal(kept.NodeId, (await asNode.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!.NodeId);
        // The deleted node's address is still held: the next join gets the one after it.
        var key2 = await moved.CreateKeyAsync("home");
        Assert.Equal("10.80.0.5/24", (await moved.JoinAsync(key2, "after")).Ipv4Address);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(1, MigrateCommand.Run("mysql:x", "postgres:Host=/nowhere", null, output, error));
        Assert.Contains("--from must be sqlite:PATH", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, MigrateCommand.Run("sqlite:/nonexistent/appliance.db", "postgres:Host=/nowhere", null, output, error));
        Assert.Contains("no SQLite store at /nonexistent/appliance.db", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, MigrateCommand.Run("sqlite:/x.db", "pg:Host=x", null, output, error));
        Assert.Contains("--to must be postgres:", error.ToString(), StringComparison.Ordinal);
    }
}
