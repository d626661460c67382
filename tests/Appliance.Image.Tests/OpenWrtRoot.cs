using System.Diagnostics;
using System.Text.Json;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// An OpenWRT-like root for the package tests: musl's loader, a static busybox (ash, awk: OpenWRT's shell and tools)
/// and the stand-ins for procd, rc.common, uci and the package-script helpers (OpenWrtShim/), which record what the
/// package's scripts ask of them in /tmp/procd.log and /tmp/scripts.log. The .ipk and .apk tests put their package's
/// files in it and run the same steps (<see cref="RunInitAndJoinAsync"/>).
/// </summary>
internal sealed class OpenWrtRoot
{
    private static readonly string Shims = RepoPaths.Combine("tests", "Appliance.Image.Tests", "OpenWrtShim");

    private OpenWrtRoot(string path) => Path = path;

    public string Path { get; }

    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    public static async Task<OpenWrtRoot> CreateAsync(string path)
    {
        Prerequisites.RequireRoot();
        var busybox = Prerequisites.RequireProgram("busybox");
        Prerequisites.RequireProgram("unshare");
        Assert.True(File.Exists("/lib/ld-musl-x86_64.so.1"), "musl is missing (apt-get install musl)");
        foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "lib", "etc", "tmp", "proc", "dev" })
        {
            Directory.CreateDirectory(System.IO.Path.Combine(path, d));
        }
        File.Copy(busybox, System.IO.Path.Combine(path, "bin", "busybox"));
        File.CreateSymbolicLink(System.IO.Path.Combine(path, "bin", "sh"), "busybox");
        File.Copy("/lib/ld-musl-x86_64.so.1", System.IO.Path.Combine(path, "lib", "ld-musl-x86_64.so.1"));
        var root = new OpenWrtRoot(path);
        (await root.RunAsync("/bin/busybox --install -s")).EnsureSuccess("busybox --install");
        File.Copy(System.IO.Path.Combine(Shims, "rc.common"), root.Combine("etc/rc.common"));
        File.Copy(System.IO.Path.Combine(Shims, "functions.sh"), root.Combine("lib/functions.sh"));
        foreach (var tool in new[] { "uci" })
        {
            foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin" })
            {
                File.Delete(System.IO.Path.Combine(path, d, tool));
            }
            var to = System.IO.Path.Combine(path, "sbin", tool);
            File.Copy(System.IO.Path.Combine(Shims, tool), to);
            File.SetUnixFileMode(to, (UnixFileMode)0b111_101_101);
        }
        return root;
    }

    /// <summary>
    /// Runs a busybox shell command chrooted into the root with its own /proc and the host's /dev, in mount and pid
    /// namespaces that go away with it; PATH as OpenWRT's.
    /// </summary>
    public Task<ProcessResult> RunAsync(string command, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("unshare", ["--mount", "--pid", "--fork", "/bin/sh", "-c",
            $"mount -t proc proc '{Path}/proc' && mount --rbind /dev '{Path}/dev' && exec chroot '{Path}' /bin/sh -c \"$0\"",
            "export PATH=/usr/sbin:/usr/bin:/sbin:/bin; " + command], timeout: timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>The lines of a log the stand-ins write (/tmp/procd.log, /tmp/scripts.log), and the log removed.</summary>
    public async Task<string[]> TakeLogAsync(string name)
    {
        var file = Combine("tmp/" + name);
        if (!File.Exists(file))
        {
            return [];
        }
        var lines = await File.ReadAllLinesAsync(file);
        File.Delete(file);
        return lines;
    }

    /// <summary>
    /// The package's steps on a router, with the package's files in place: uci-defaults fixes an older config, a
    /// disabled agent starts nothing, then with a token the init script starts the join helper and the agent; the
    /// helper's join fails against a closed port (last-error written, token kept), then, with the server option
    /// pointing at a real appliance-server on loopback, the package's own agent joins it: the token leaves the file and
    /// uci, the server lists the node, and the next start runs the agent alone.
    /// </summary>
    public async Task RunInitAndJoinAsync(TempDirectory dir, ITestOutputHelper output)
    {
        Assert.False(Directory.EnumerateFiles(Path, "libc.so*", SearchOption.AllDirectories).Any(f => !f.Contains("/usr/lib/appliance-agent/", StringComparison.Ordinal)),
            "a glibc outside the package's own bundle");

        // uci-defaults: an older config without the firewall option gets it; a value the user set stays.
        await File.WriteAllTextAsync(Combine("etc/config/appliance"), "\nconfig agent 'agent'\n\toption enabled '0'\n");
        (await RunAsync("/etc/uci-defaults/90-appliance-agent")).EnsureSuccess("uci-defaults");
        Assert.Equal("0|fw4", (await RunAsync("echo \"$(uci get appliance.agent.enabled)|$(uci get appliance.agent.firewall)\"")).EnsureSuccess("uci get").StdOut.Trim());
        // Disabled: the init script starts nothing.
        await TakeLogAsync("procd.log");
        (await RunAsync("/etc/init.d/appliance-agent start")).EnsureSuccess("start (disabled)");
        Assert.DoesNotContain(await TakeLogAsync("procd.log"), l => l.StartsWith("open", StringComparison.Ordinal));

        // A real server on loopback, and a token for it.
        var data = dir.Combine("server-data");
        int port = Binaries.FreeTcpPort(), mqtt = Binaries.FreeTcpPort();
        var url = $"http://127.0.0.1:{port}";
        using var server = Process.Start(new ProcessStartInfo("dotnet", ["exec", Binaries.Server, "serve", "--data-dir", data, "--urls", url, "--mqtt-url", $"mqtt://127.0.0.1:{mqtt}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var serverLog = ProcessOutput.Capture(server);
        try
        {
            await Wait.UntilAsync(async () => (await ProcessRunner.RunAsync("curl", "-fsS", "-o", "/dev/null", url + "/healthz")).ExitCode == 0,
                "the server to answer", TimeSpan.FromSeconds(90), () => serverLog.Text, TimeSpan.FromMilliseconds(250));
            async Task<string> Cli(params string[] args) =>
                (await ProcessRunner.RunAsync("dotnet", ["exec", Binaries.Server, .. args, "--server", url, "--data-dir", data], timeout: TimeSpan.FromMinutes(2)))
                .EnsureSuccess("appliance-server " + args[0]).StdOut;
            await Cli("network", "create", "owrt", "--ipv4", "10.67.0.0/24");
            using var key = JsonDocument.Parse(await Cli("key", "create", "--network", "owrt", "--uses", "1", "--expires", "1d", "--json"));
            var token = key.RootElement.GetProperty("token").GetString()!;

            // The user's steps: a token (and, first, a server address where nothing listens) in uci, then start.
            var closed = Binaries.FreeTcpPort();
            (await RunAsync($"uci set appliance.agent.enabled=1 && uci set appliance.agent.token={token} && " +
                $"uci set appliance.agent.server=http://127.0.0.1:{closed} && uci commit appliance && /etc/init.d/appliance-agent start")).EnsureSuccess("start");
            var procd = await TakeLogAsync("procd.log");
            output.WriteLine(string.Join("\n", procd));
            Assert.Equal(
            [
                "open join", "param command /usr/libexec/appliance-join", "param stdout 1", "param stderr 1", "close",
                "open agent", "param command /usr/bin/appliance-agent run --state-dir /etc/appliance --firewall fw4 --wait-for-join --token-file /etc/appliance/token",
                "param respawn 3600 2 0", "param stdout 1", "param stderr 1", "close", "reload-trigger appliance",
            ], procd);
            Assert.Equal(token + "\n", await File.ReadAllTextAsync(Combine("etc/appliance/token")));
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Combine("etc/appliance/token")));

            // The helper's join fails against the closed port: why is written, the token stays for the next try.
            var failed = await RunAsync("APPLIANCE_JOIN_TRIES=1 /usr/libexec/appliance-join");
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("appliance-join: join failed (exit ", failed.StdErr, StringComparison.Ordinal);
            var lastError = await File.ReadAllTextAsync(Combine("etc/appliance/last-error"));
            output.WriteLine("last-error: " + lastError);
            Assert.StartsWith("join failed (exit ", lastError, StringComparison.Ordinal);
            Assert.True(File.Exists(Combine("etc/appliance/token")), "the token went after a failed join");
            Assert.Equal(token, (await RunAsync("uci get appliance.agent.token")).EnsureSuccess("uci get token").StdOut.Trim());

            // The server option now names the real server: the package's own agent (its glibc bundle, in a musl
            // root) joins, and the token leaves the file and uci.
            (await RunAsync($"uci set appliance.agent.server={url} && uci commit appliance")).EnsureSuccess("uci set server");
            var joined = await RunAsync("APPLIANCE_JOIN_RETRY=1 /usr/libexec/appliance-join", TimeSpan.FromMinutes(2));
            output.WriteLine(joined.StdOut + joined.StdErr);
            joined.EnsureSuccess("appliance-join");
            Assert.True(File.Exists(Combine("etc/appliance/state.json")), "no state.json after the join");
            Assert.False(File.Exists(Combine("etc/appliance/token")), "the token file outlived the join");
            Assert.False(File.Exists(Combine("etc/appliance/last-error")), "last-error outlived the join");
            Assert.NotEqual(0, (await RunAsync("uci -q get appliance.agent.token")).ExitCode);
            Assert.Contains("appliance-join: joined", joined.StdErr, StringComparison.Ordinal);
            Assert.Contains("\"owrt\"", await Cli("node", "list", "--json"), StringComparison.Ordinal);
            var status = (await RunAsync("/usr/bin/appliance-agent status --state-dir /etc/appliance")).EnsureSuccess("status");
            Assert.Contains("owrt", status.StdOut, StringComparison.Ordinal);

            // Joined: a start asks for the agent alone, no join helper.
            (await RunAsync("/etc/init.d/appliance-agent start")).EnsureSuccess("start (joined)");
            var again = await TakeLogAsync("procd.log");
            Assert.DoesNotContain("open join", again);
            Assert.Contains("open agent", again);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
        }
    }
}
