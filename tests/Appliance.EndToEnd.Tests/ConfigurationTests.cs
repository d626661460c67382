using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>Configuration sources, lowest to highest: defaults, config file, APPLIANCE_* environment, command line.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-config");

    private async Task<string> TokenServerAsync(IReadOnlyList<string>? args, IDictionary<string, string>? env)
    {
        var file = _dir.Combine("server.json");
        await File.WriteAllTextAsync(file, """{ "PublicUrl": "https://from-file.example:1111", "AddressHoldSeconds": 5 }""");
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data-" + Guid.NewGuid().ToString("N")[..6]),
            extraArgs: ["--config", file, .. args ?? []], env: env);
        (await server.CliAsync("network", "create", "c", "--ipv4", "10.90.0.0/24")).EnsureSuccess("network create");
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>(
            (await server.CliAsync("key", "create", "--network", "c", "--json")).EnsureSuccess("key create").StdOut, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        return JoinToken.Decode(key.Token!).Server;
    }

    [Fact]
    public async Task File_then_environment_then_command_line()
    {
        Assert.Equal("https://from-file.example:1111", await TokenServerAsync(null, null));
        var env = new Dictionary<string, string> { ["APPLIANCE_PUBLICURL"] = "https://from-env.example:2222" };
        Assert.Equal("https://from-env.example:2222", await TokenServerAsync(null, env));
        Assert.Equal("https://from-cli.example:3333", await TokenServerAsync(["--public-url", "https://from-cli.example:3333"], env));
    }

    [Fact]
    public async Task A_missing_config_file_is_a_clear_start_failure()
    {
        var r = await ProcessRunner.RunAsync("dotnet", [Binaries.Server, "serve", "--data-dir", _dir.Combine("d"), "--urls", "http://127.0.0.1:1", "--config", _dir.Combine("nope.json")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nope.json' does not exist", r.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AddressHoldSeconds", "1h", "AddressHoldSeconds must be a whole number")]
    [InlineData("AddressHoldSeconds", "-5", "AddressHoldSeconds must be a whole number")]
    [InlineData("PublicUrl", "not a url", "PublicUrl 'not a url' is not an http(s) URL")]
    public async Task Bad_config_values_stop_the_server_naming_the_key(string key, string value, string message)
    {
        var r = await ProcessRunner.RunAsync("dotnet", [Binaries.Server, "serve", "--data-dir", _dir.Combine("d" + key), "--urls", "http://127.0.0.1:1"],
            env: new Dictionary<string, string> { ["APPLIANCE_" + key.ToUpperInvariant()] = value });
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_writes_nothing_outside_its_data_dir()
    {
        // ASP.NET's data protection, which bearer tokens do not need, used to write a key ring to ~/.aspnet at start-up.
        var home = _dir.Combine("home");
        Directory.CreateDirectory(home);
        await using (var server = await ServerProcess.StartAsync(_dir.Combine("data-home"), env: new Dictionary<string, string> { ["HOME"] = home }))
        {
            (await server.CliAsync("network", "create", "h", "--ipv4", "10.91.0.0/24")).EnsureSuccess("network create");
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var http = new HttpClient(handler);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(server.Url + "/api/v1/networks")).StatusCode);
            using var admin = new HttpRequestMessage(HttpMethod.Get, server.Url + "/api/v1/networks");
            admin.Headers.Authorization = new("Bearer", (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "admin.token"))).Trim());
            Assert.Contains("\"h\"", await (await http.SendAsync(admin)).EnsureSuccessStatusCode().Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(home));
    }

    public void Dispose() => _dir.Dispose();
}
