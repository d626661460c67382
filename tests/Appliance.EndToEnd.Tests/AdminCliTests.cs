using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>Issue #13 item 9: the admin CLI names what it did not understand and does nothing then.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class AdminCliTests : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly TempDirectory _dir = new("appliance-cli");

    public static TheoryData<string[], string> Mistakes => new()
    {
        { ["network", "create", "x", "--ipv4", "10.11.0.0/24", "--mttu", "1300"], "unknown option '--mttu', unexpected argument '1300'" },
        { ["network", "create", "x", "y", "--ipv4", "10.11.0.0/24"], "unexpected argument 'y'" },
        { ["network", "delete", "home", "--forse"], "unknown option '--forse'" },
        { ["key", "create", "--network", "home", "--usess", "5"], "unknown option '--usess'" },
        { ["node", "update", "NODE", "--tagg", "x"], "unknown option '--tagg'" },
        { ["node", "delete", "NODE", "extra"], "unexpected argument 'extra'" },
        { ["node", "egress", "NODE", "--range", "192.168.9.0/24", "--nat"], "unknown option '--nat'" },
        { ["ext-client", "create", "home", "--gateway", "NODE", "--expire", "7d"], "unknown option '--expire'" },
        { ["dns", "add", "home", "printer", "A", "192.0.2.9", "3600"], "unexpected argument '3600'" },
    };

    [Fact]
    public async Task Unknown_options_and_stray_arguments_are_errors_naming_them_and_change_nothing()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"), scheme: "http");
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.10.0.0/24")).EnsureSuccess("network create");
        var nodeId = await JoinAsync(server);
        var before = await ListAsync(server);

        foreach (var row in Mistakes)
        {
            var (args, message) = ((string[])row[0], (string)row[1]);
            var r = await server.CliAsync([.. args.Select(a => a == "NODE" ? nodeId : a)]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} exited {r.ExitCode}\n{r.StdOut}{r.StdErr}");
            Assert.Contains(message, r.StdErr, StringComparison.Ordinal);
        }
        Assert.Equal(before, await ListAsync(server));
    }

    [Fact]
    public async Task Node_update_sets_tags()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"), scheme: "http");
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.10.0.0/24")).EnsureSuccess("network create");
        var nodeId = await JoinAsync(server);
        var r = (await server.CliAsync("node", "update", nodeId, "--tag", "office", "--tag", "printer", "--json")).EnsureSuccess("node update");
        Assert.Equal(["office", "printer"], JsonSerializer.Deserialize<NodeDto>(r.StdOut, Web)!.Tags);
    }

    private static async Task<string> JoinAsync(ServerProcess server)
    {
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>(
            (await server.CliAsync("key", "create", "--network", "home", "--json")).EnsureSuccess("key create").StdOut, Web)!;
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var joined = await http.PostAsJsonAsync("/api/v1/join", new JoinRequest
        {
            Key = JoinToken.Decode(key.Token!).Key, PublicKey = X25519.GenerateKeyPair().PublicKey.ToString(), Hostname = "box", Endpoints = ["192.0.2.1"],
        });
        joined.EnsureSuccessStatusCode();
        return (await joined.Content.ReadFromJsonAsync<JoinResponse>())!.NodeId;
    }

    /// <summary>Everything the mistakes could have changed, as the server shows it.</summary>
    private static async Task<string> ListAsync(ServerProcess server) =>
        string.Join("\n",
            (await server.CliAsync("network", "list", "--json")).EnsureSuccess("network list").StdOut,
            (await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list").StdOut,
            (await server.CliAsync("key", "list", "--json")).EnsureSuccess("key list").StdOut,
            (await server.CliAsync("ext-client", "list", "home", "--json")).EnsureSuccess("ext-client list").StdOut,
            (await server.CliAsync("dns", "list", "home", "--json")).EnsureSuccess("dns list").StdOut);

    public void Dispose() => _dir.Dispose();
}
