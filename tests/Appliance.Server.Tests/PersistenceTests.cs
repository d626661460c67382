using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Integration)]
public sealed class PersistenceTests
{
    [Fact]
    public async Task Restart_on_the_same_data_dir_keeps_everything()
    {
        using var dir = new TempDirectory("appliance-restart");
        JoinResponse node;
        string token, fingerprint;
        EnrollmentKeyDto key;
        using (var first = new ServerFactory(dir.Path))
        {
            await first.CreateNetworkAsync("home", "10.10.0.0/24");
            key = await first.CreateKeyAsync("home", uses: 5);
            node = await first.JoinAsync(key, "keeper");
            token = first.AdminToken;
            fingerprint = first.Context.Certificates!.CaFingerprint;
            Assert.Equal(1, first.Context.Store.SchemaVersion);
        }
        using var second = new ServerFactory(dir.Path);
        Assert.Equal(token, second.AdminToken);
        Assert.Equal(fingerprint, second.Context.Certificates!.CaFingerprint); // tokens handed out stay valid
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
    public async Task Admin_token_file_is_private_and_only_its_hash_is_stored()
    {
        using var server = new ServerFactory();
        var path = Path.Combine(server.Context.DataDir, "admin.token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.Context.DataDir, "ca.key")));
        var token = server.AdminToken;
        var hash = await server.Context.Store.ReadAsync(s => s.GetSetting("admin_token_hash"));
        Assert.NotEqual(token, hash);
        Assert.Equal(Appliance.Server.Security.Secrets.Hash(token), hash);
        var db = await File.ReadAllBytesAsync(Path.Combine(server.Context.DataDir, "appliance.db"));
        Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(db), StringComparison.Ordinal);
    }
}
