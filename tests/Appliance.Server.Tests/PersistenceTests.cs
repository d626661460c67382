using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Configuration;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Integration)]
public sealed class PersistenceTests
{
    [Fact]
    public void A_ca_certificate_without_its_key_stops_the_server_instead_of_replacing_the_ca()
    {
        using var dir = new TempDirectory("appliance-ca");
        using (var first = new ServerFactory(dir.Path))
        {
            _ = first.Started;
        }
        File.Delete(Path.Combine(dir.Path, "ca.key"));
        using var second = new ServerFactory(dir.Path);
        var e = Assert.ThrowsAny<Exception>(() => second.Started);
        Assert.Contains("ca.key is missing", e.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "ca.crt"))); // nothing was replaced
    }

    [Fact]
    public void A_half_written_server_certificate_is_reissued()
    {
        using var dir = new TempDirectory("appliance-srvcert");
        string fingerprint;
        using (var first = new ServerFactory(dir.Path))
        {
            fingerprint = first.Certificates!.CaFingerprint;
        }
        File.WriteAllText(Path.Combine(dir.Path, "server.crt"), "-----BEGIN CERTIFICATE-----\ntruncated");
        using var second = new ServerFactory(dir.Path);
        Assert.Equal(fingerprint, second.Certificates!.CaFingerprint);
        Assert.True(second.Certificates.Server.HasPrivateKey);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task Restart_on_the_same_data_dir_keeps_everything(StoreKind kind)
    {
        using var under = new StoreUnderTest(kind);
        var dir = under.DataDir;
        var settings = under.ServerSettings();
        JoinResponse node;
        string token, fingerprint;
        EnrollmentKeyDto key;
        ((IDisposable)under.Store).Dispose(); // the servers open their own
        using (var first = new ServerFactory(dir, settings: settings))
        {
            await first.CreateNetworkAsync("home", "10.10.0.0/24");
            key = await first.CreateKeyAsync("home", uses: 5);
            node = await first.JoinAsync(key, "keeper");
            token = first.AdminToken;
            fingerprint = first.Certificates!.CaFingerprint;
            Assert.Equal(kind == StoreKind.Postgres ? Store.PostgresMigrations.All[^1].Version : Store.SqliteMigrations.All[^1].Version, first.Store.SchemaVersion);
            Assert.Equal(Store.SqliteMigrations.All.Select(m => m.Version), Store.PostgresMigrations.All.Select(m => m.Version)); // numbered the same
        }
        using var second = new ServerFactory(dir, settings: settings);
        Assert.Equal(token, second.AdminToken);
        Assert.Equal(fingerprint, second.Certificates!.CaFingerprint); // tokens handed out stay valid
        using var admin = second.Admin();
        var nets = await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks");
        Assert.Equal("home", Assert.Single(nets!).Name);
        Assert.Equal(4, (await admin.GetFromJsonAsync<List<EnrollmentKeyDto>>("/api/v1/enrollment-keys"))!.Single().UsesRemaining);
        using var asNode = second.As(node.Credential);
        var config = await asNode.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config");
        Assert.Equal(node.NodeId, config!.NodeId);
        // The same key still works after the restart and the next address follows on.
        var next = await second.JoinAsync(key, "after");
        Assert.Equal("10.10.0.2/24", next.Ipv4Address);
        Assert.Equal(JoinToken.Decode(key.Token!).Fingerprint, fingerprint);
    }

    [Fact]
    public async Task Admin_token_file_is_private_and_no_secret_is_stored_in_clear()
    {
        using var server = new ServerFactory();
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var node = await server.JoinAsync(key, "n");
        var path = Path.Combine(server.DataDir, "admin.token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDir, "ca.key")));
        var token = server.AdminToken;
        var hash = await server.Store.ReadAsync(s => s.GetSetting("admin_token_hash"));
        Assert.NotEqual(token, hash);
        Assert.Equal(Appliance.Server.Security.Secrets.Hash(token), hash);
        // Every file of the store, the WAL included (new rows live there until a checkpoint).
        var secrets = new[] { token, JoinToken.Decode(key.Token!).Key, node.Credential, node.Credential.Split('.')[2] };
        var files = Directory.GetFiles(server.DataDir, "appliance.db*");
        Assert.Contains(files, f => f.EndsWith("-wal", StringComparison.Ordinal));
        foreach (var file in files)
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs, System.Text.Encoding.Latin1);
            var bytes = await reader.ReadToEndAsync();
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, bytes, StringComparison.Ordinal);
            }
        }
        // The hashes are there: the check above looked at the right files.
        Assert.Contains(files, f =>
        {
            using var fs = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs, System.Text.Encoding.Latin1);
            return reader.ReadToEnd().Contains(Appliance.Server.Security.Secrets.Hash(node.Credential), StringComparison.Ordinal);
        });
    }
}
