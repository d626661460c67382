using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>The real server process over loopback HTTPS, the admin CLI and `appliance-agent` as separate processes.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class JoinEndToEndTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TempDirectory _dir = new("appliance-e2e");

    private static Task<ProcessResult> Agent(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Binaries.Agent, .. args], timeout: TimeSpan.FromSeconds(60));

    private static T Parse<T>(ProcessResult r) => JsonSerializer.Deserialize<T>(r.StdOut, Json)!;

    [Fact]
    public async Task Network_key_join_list_pull_then_restart_keeps_everything()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"));
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.77.0.0/24", "--ipv6", "fd77::/64")).EnsureSuccess("network create");
        var key = Parse<EnrollmentKeyDto>((await server.CliAsync("key", "create", "--network", "home", "--uses", "2", "--json")).EnsureSuccess("key create"));
        var token = JoinToken.Decode(key.Token!);
        Assert.Equal(server.Url, token.Server);
        Assert.NotNull(token.Fingerprint);

        var alphaDir = _dir.Combine("alpha");
        var join = (await Agent("join", "--token", key.Token!, "--state-dir", alphaDir, "--hostname", "alpha", "--endpoint", "192.0.2.1")).EnsureSuccess("agent join");
        Assert.Contains("joined network 'home' as 'alpha' (10.77.0.1/24, fd77::1/64)", join.StdOut, StringComparison.Ordinal);
        (await Agent("join", "--token", key.Token!, "--state-dir", _dir.Combine("beta"), "--hostname", "beta")).EnsureSuccess("second join");
        var third = await Agent("join", "--token", key.Token!, "--state-dir", _dir.Combine("gamma"), "--hostname", "gamma");
        Assert.Equal(1, third.ExitCode);
        Assert.Contains("no uses left", third.StdErr, StringComparison.Ordinal);

        // The node the server lists carries the key the agent made; the private key stayed on the device.
        using var stateDoc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(alphaDir, "state.json")));
        var privateKey = WgKey.Parse(stateDoc.RootElement.GetProperty("privateKey").GetString()!);
        var publicKey = stateDoc.RootElement.GetProperty("publicKey").GetString()!;
        Assert.Equal(publicKey, X25519.PublicKeyOf(privateKey).ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(alphaDir, "state.json")));
        var nodes = Parse<List<NodeDto>>((await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list"));
        Assert.Equal(["alpha", "beta"], nodes.Select(n => n.Name).Order());
        Assert.Equal(publicKey, nodes.Single(n => n.Name == "alpha").PublicKey);
        foreach (var file in Directory.GetFiles(server.DataDir))
        {
            Assert.DoesNotContain(privateKey.ToString(), await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }

        var config = Parse<NodeConfigDto>((await Agent("pull", "--state-dir", alphaDir, "--json")).EnsureSuccess("agent pull"));
        Assert.Equal(["10.77.0.1/24", "fd77::1/64"], config.Interface.Addresses);
        var peer = Assert.Single(config.Peers);
        Assert.Equal("beta", peer.Name);
        Assert.Equal(["10.77.0.2/32", "fd77::2/128"], peer.AllowedIps);
        var status = (await Agent("status", "--state-dir", alphaDir)).EnsureSuccess("agent status");
        Assert.Contains("1 peers", status.StdOut, StringComparison.Ordinal);

        // Restart the server process: networks, nodes, keys and credentials survive.
        await server.StopAsync();
        await server.StartAsync();
        var after = Parse<List<NodeDto>>((await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list after restart"));
        Assert.Equal(nodes.Select(n => n.Id).Order(), after.Select(n => n.Id).Order());
        var again = Parse<NodeConfigDto>((await Agent("pull", "--state-dir", alphaDir, "--json")).EnsureSuccess("agent pull after restart"));
        Assert.Equal(config.Peers.Single().PublicKey, again.Peers.Single().PublicKey);
        var keys = Parse<List<EnrollmentKeyDto>>((await server.CliAsync("key", "list", "--json")).EnsureSuccess("key list"));
        Assert.Equal(0, keys.Single().UsesRemaining);
    }

    [Fact]
    public async Task A_pinned_agent_never_reads_the_systems_trust_store_and_an_unpinned_one_does()
    {
        // Issue #15: .NET's chain builder loads every system CA before each chain it builds, even one that trusts a
        // custom root alone, and loads them again after five minutes: a pinned agent keeps that store out of its process
        // (SystemTrustStore). strace shows which files the real agent process touches. The test runner's environment
        // may name SSL_CERT_FILE/SSL_CERT_DIR (this machine's does), which the agent must override for itself.
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"));
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.81.0.0/24")).EnsureSuccess("network create");
        var key = Parse<EnrollmentKeyDto>((await server.CliAsync("key", "create", "--network", "home", "--uses", "2", "--json")).EnsureSuccess("key create"));
        var state = _dir.Combine("pinned");
        var (join, joinFiles) = await TracedAgentAsync("join", "--token", key.Token!, "--state-dir", state, "--hostname", "pinned", "--endpoint", "192.0.2.1");
        join.EnsureSuccess("pinned join under strace");
        var (pull, pullFiles) = await TracedAgentAsync("pull", "--state-dir", state);
        pull.EnsureSuccess("pull under strace");
        foreach (var files in new[] { joinFiles, pullFiles })
        {
            Assert.Contains(files, f => f.Contains(state, StringComparison.Ordinal)); // the trace holds the agent's own files
            Assert.Contains(files, f => f.EndsWith("libssl.so.3", StringComparison.Ordinal)); // and its TLS library
            Assert.DoesNotContain(files, f => f.Contains("/etc/ssl/certs", StringComparison.Ordinal) || f.EndsWith("ssl/cert.pem", StringComparison.Ordinal));
        }

        // The same server through a hand-made plain-http token (no pin) pointed at its https:// URL: the system's store
        // is read (and does not know the server's CA), so the check above would have seen the reads.
        var unpinned = (JoinToken.Decode(key.Token!) with { Server = "http://127.0.0.1:9", Fingerprint = null }).Encode();
        var (refused, refusedFiles) = await TracedAgentAsync("join", "--token", unpinned, "--server", server.Url, "--state-dir", _dir.Combine("unpinned"), "--hostname", "unpinned");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("PartialChain", refused.StdErr, StringComparison.Ordinal); // no system CA issued the server's chain
        Assert.Contains(refusedFiles, f => f.Contains("/etc/ssl/certs", StringComparison.Ordinal));
        Assert.Single(Parse<List<NodeDto>>((await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list")));
    }

    /// <summary>Runs the agent under strace: its result, and the paths of its file system calls.</summary>
    private async Task<(ProcessResult Result, List<string> Files)> TracedAgentAsync(params string[] args)
    {
        var trace = _dir.Combine($"strace-{Guid.NewGuid():N}.txt");
        var r = await ProcessRunner.RunAsync("strace", ["-f", "-qq", "--seccomp-bpf", "-e", "trace=%file", "-o", trace, "dotnet", Binaries.Agent, .. args], timeout: TimeSpan.FromSeconds(120));
        // A line: pid syscall(..., "path", ...) = result; the first quoted string is the path.
        var files = (await File.ReadAllLinesAsync(trace))
            .Select(l => l.IndexOf('"') is var q and >= 0 && l.IndexOf('"', q + 1) is var e and > 0 ? l[(q + 1)..e] : "")
            .Where(p => p.Length > 0).ToList();
        return (r, files);
    }

    [Fact]
    public async Task Token_with_the_wrong_fingerprint_is_refused_and_nothing_is_saved()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"));
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.78.0.0/24")).EnsureSuccess("network create");
        var key = Parse<EnrollmentKeyDto>((await server.CliAsync("key", "create", "--network", "home", "--json")).EnsureSuccess("key create"));
        var real = JoinToken.Decode(key.Token!);
        var forged = (real with { Fingerprint = new string('0', 64) }).Encode();
        var state = _dir.Combine("forged");
        var r = await Agent("join", "--token", forged, "--state-dir", state);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not match the pinned fingerprint", r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(state, "state.json")));
        var nodes = Parse<List<NodeDto>>((await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list"));
        Assert.Empty(nodes); // the key was never presented to anyone
    }

    [Fact]
    public async Task Cli_errors_are_one_clear_line_and_a_non_zero_exit()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"));
        var bad = await server.CliAsync("network", "create", "x", "--ipv4", "10.0.0.9/24");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("error: the server refused (400): ipv4Cidr: '10.0.0.9/24' has host bits set; did you mean 10.0.0.0/24?", bad.StdErr.Trim());
        var typo = await ProcessRunner.RunAsync("dotnet", [Binaries.Server, "netwrk", "list"]);
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("unknown command or argument 'netwrk'", typo.StdErr, StringComparison.Ordinal);
        var unreachable = await Agent("join", "--token", new JoinToken($"https://127.0.0.1:{Binaries.FreeTcpPort()}", "apk.x", new string('a', 64)).Encode(), "--state-dir", _dir.Combine("u"));
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the server", unreachable.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_only_when_asked_and_then_the_token_has_no_pin()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"), scheme: "http");
        Assert.False(File.Exists(Path.Combine(server.DataDir, "ca.crt")));
        (await server.CliAsync("network", "create", "lab", "--ipv4", "10.79.0.0/24")).EnsureSuccess("network create");
        var key = Parse<EnrollmentKeyDto>((await server.CliAsync("key", "create", "--network", "lab", "--json")).EnsureSuccess("key create"));
        Assert.Null(JoinToken.Decode(key.Token!).Fingerprint);
        (await Agent("join", "--token", key.Token!, "--state-dir", _dir.Combine("h"), "--hostname", "plain")).EnsureSuccess("agent join over http");
    }

    [Fact]
    public async Task An_unwritable_state_dir_fails_before_the_key_is_used()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"));
        (await server.CliAsync("network", "create", "home", "--ipv4", "10.80.0.0/24")).EnsureSuccess("network create");
        var key = Parse<EnrollmentKeyDto>((await server.CliAsync("key", "create", "--network", "home", "--uses", "1", "--json")).EnsureSuccess("key create"));
        var blocker = _dir.Combine("a-file");
        await File.WriteAllTextAsync(blocker, "not a directory");
        var r = await Agent("join", "--token", key.Token!, "--state-dir", Path.Combine(blocker, "state"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cannot write the state dir", r.StdErr, StringComparison.Ordinal);
        Assert.Empty(Parse<List<NodeDto>>((await server.CliAsync("node", "list", "--json")).EnsureSuccess("node list")));
        (await Agent("join", "--token", key.Token!, "--state-dir", _dir.Combine("ok"))).EnsureSuccess("join with the unused key");
    }

    public void Dispose() => _dir.Dispose();
}
