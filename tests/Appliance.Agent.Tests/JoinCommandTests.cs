using Appliance.Agent;
using Appliance.Agent.Commands;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class JoinCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-agent");
    private const string Fp = "3a8ed465f269b5d3feb9e490ef4e03a9bb329e18b7b7fcfb032d7fbb1d048d3e";

    private JoinCommand.Options Opts(string token, string iface = "appliance0", bool force = false) =>
        new(token, _dir.Path, iface, "dev", null, [], null, force);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Malformed_token_is_refused_before_anything_is_written()
    {
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts("not!a!token"), TimeProvider.System, TextWriter.Null, default));
        Assert.StartsWith("invalid join token", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Expired_token_is_refused_offline()
    {
        var token = new JoinToken("https://127.0.0.1:9", "apk.x", Fp, DateTimeOffset.UtcNow.AddMinutes(-1)).Encode();
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts(token), TimeProvider.System, TextWriter.Null, default));
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("")]
    [InlineData("sixteen-chars-xx")]
    [InlineData("has/slash")]
    [InlineData("has space")]
    public async Task Bad_interface_names_are_refused(string iface)
    {
        var token = new JoinToken("https://127.0.0.1:9", "apk.x", Fp).Encode();
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts(token, iface), TimeProvider.System, TextWriter.Null, default));
        Assert.Contains("--interface", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("not a url", "is not an http:// or https:// URL")]
    [InlineData("ftp://10.0.0.1/", "is not an http:// or https:// URL")]
    [InlineData("http://10.0.0.1:8080", "plain http, but the token pins the server's CA")]
    public async Task A_bad_server_override_is_refused_before_anything_is_written(string server, string expected)
    {
        var token = new JoinToken("https://127.0.0.1:9", "apk.x", Fp).Encode();
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts(token) with { Server = server }, TimeProvider.System, TextWriter.Null, default));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("--server", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Unreachable_server_is_a_clear_error()
    {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        var token = new JoinToken("https://127.0.0.1:9", "apk.x", Fp).Encode();
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts(token), TimeProvider.System, TextWriter.Null, default));
        Assert.Contains("cannot reach the server at https://127.0.0.1:9", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task An_existing_identity_is_kept_unless_forced()
    {
        var store = new StateStore(_dir.Path);
        store.SaveState(SampleState());
        var token = new JoinToken("https://127.0.0.1:9", "apk.x", Fp).Encode();
        var e = await Assert.ThrowsAsync<AgentException>(() => JoinCommand.RunAsync(Opts(token), TimeProvider.System, TextWriter.Null, default));
        Assert.Contains("already joined network 'home'", e.Message, StringComparison.Ordinal);
        Assert.Equal("n1", store.LoadState()!.NodeId);
    }

    internal static AgentState SampleState() => new()
    {
        Server = "https://127.0.0.1:9",
        NodeId = "n1",
        Name = "dev",
        Credential = "apn.n1.secret",
        PrivateKey = "cGHOMBxYPR3ubbgQEEDmQJu3Ljbjm4hY/Em4rkhuhXs=",
        PublicKey = "zELrwNGE5V6gOwMKJiLXJsMWlp4ZRPOEbRjQFzRCOF0=",
        Interface = "appliance0",
        Ipv4Address = "10.10.0.1/24",
        ListenPort = 51821,
        Network = new NetworkSettingsDto("home", "10.10.0.0/24", null, 51821, 1420, 20),
        JoinedAt = DateTimeOffset.UnixEpoch,
    };

    public void Dispose() => _dir.Dispose();
}
