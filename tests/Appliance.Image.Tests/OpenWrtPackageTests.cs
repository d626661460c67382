using System.Diagnostics;
using System.Text.Json;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// The OpenWRT package from image/build-openwrt.sh: its layout as opkg reads it, and its scripts run in a root that
/// holds only musl, a static busybox (ash, awk: OpenWRT's shell and tools) and the package — no glibc but the one the
/// package carries. procd, uci and rc.common are stand-ins (OpenWrtShim/) that record what the init script asks of
/// them. The init script starts a join helper and the agent with the uci settings; the helper's join fails against a
/// closed port (last-error written, token kept), then, with the server option pointing at a real appliance-server on
/// loopback, the package's own agent joins it: the token leaves the file and uci, and the server lists the node.
/// </summary>
[Trait("Category", TestCategories.Interop)]
[Collection(ImageLab.Collection)]
public sealed class OpenWrtPackageTests(ITestOutputHelper output)
{
    private static readonly string Shims = RepoPaths.Combine("tests", "Appliance.Image.Tests", "OpenWrtShim");

    [Theory]
    [InlineData("", "--arch aarch64|x86_64 is required")]
    [InlineData("--arch mips", "--arch aarch64|x86_64 is required")]
    [InlineData("--arch aarch64 --openwrt-arch x86_64", "--openwrt-arch 'x86_64' is not an aarch64 architecture")]
    [InlineData("--arch x86_64 --openwrt-arch 'x86_64;rm'", "--openwrt-arch 'x86_64;rm': letters, digits, '_' and '-' only")]
    [InlineData("--arch x86_64 --bogus", "unknown option --bogus")]
    [Trait("Category", TestCategories.Unit)]
    public async Task Bad_arguments_are_refused_before_anything_is_built(string args, string message)
    {
        var r = await ProcessRunner.RunAsync("bash", ["-c", $"exec bash '{RepoPaths.Combine("image", "build-openwrt.sh")}' {args}"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("build-openwrt: " + message, r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ipk_installs_the_agent_with_uci_settings_and_joins_a_real_server_from_a_musl_only_root()
    {
        Prerequisites.RequireRoot();
        var busybox = Prerequisites.RequireProgram("busybox");
        foreach (var p in new[] { "unshare", "tar", "clang" })
        {
            Prerequisites.RequireProgram(p);
        }
        Assert.True(File.Exists("/lib/ld-musl-x86_64.so.1"), "musl is missing (apt-get install musl)");
        using var dir = new TempDirectory("appliance-ipk");

        // The package, as a user builds it.
        var built = await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("image", "build-openwrt.sh"), "--arch", "x86_64", "--out-dir", dir.Combine("out")],
            timeout: TimeSpan.FromMinutes(30));
        built.EnsureSuccess("image/build-openwrt.sh");
        var ipk = built.StdOut.Trim().Split('\n')[^1];
        Assert.Matches(@"/appliance-agent_[0-9][^_]*_x86_64\.ipk$", ipk);
        output.WriteLine($"{Path.GetFileName(ipk)}: {new FileInfo(ipk).Length} bytes");

        // opkg's layout: a gzipped tar of debian-binary, data.tar.gz and control.tar.gz.
        Assert.Equal(["./debian-binary", "./data.tar.gz", "./control.tar.gz"], await LinesAsync("tar", "-tzf", ipk));
        var outer = dir.Combine("outer");
        Directory.CreateDirectory(outer);
        (await ProcessRunner.RunAsync("tar", "-xzf", ipk, "-C", outer)).EnsureSuccess("unpack the ipk");
        Assert.Equal("2.0\n", await File.ReadAllTextAsync(Path.Combine(outer, "debian-binary")));
        var control = (await ProcessRunner.RunAsync("tar", "-xzOf", Path.Combine(outer, "control.tar.gz"), "./control")).EnsureSuccess("control").StdOut;
        output.WriteLine(control);
        Assert.Contains("Package: appliance-agent\n", control, StringComparison.Ordinal);
        Assert.Contains("Architecture: x86_64\n", control, StringComparison.Ordinal);
        Assert.Contains("Depends: kmod-wireguard, firewall4\n", control, StringComparison.Ordinal);
        Assert.Equal("/etc/config/appliance\n", (await ProcessRunner.RunAsync("tar", "-xzOf", Path.Combine(outer, "control.tar.gz"), "./conffiles")).EnsureSuccess("conffiles").StdOut);
        var listing = await LinesAsync("tar", "-tvzf", Path.Combine(outer, "data.tar.gz"));
        string Entry(string path) => listing.Single(l => l.EndsWith(" " + path, StringComparison.Ordinal) || l.Contains(" " + path + " -> ", StringComparison.Ordinal));
        Assert.StartsWith("-rw-------", Entry("./etc/config/appliance"), StringComparison.Ordinal);
        Assert.StartsWith("-rwxr-xr-x", Entry("./etc/init.d/appliance-agent"), StringComparison.Ordinal);
        Assert.StartsWith("-rwxr-xr-x", Entry("./etc/uci-defaults/90-appliance-agent"), StringComparison.Ordinal);
        Assert.StartsWith("-rwxr-xr-x", Entry("./usr/libexec/appliance-join"), StringComparison.Ordinal);
        Assert.EndsWith("./usr/bin/appliance-agent -> ../lib/appliance-agent/appliance-agent", Entry("./usr/bin/appliance-agent"), StringComparison.Ordinal);
        foreach (var lib in new[] { "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libssl.so.3", "libcrypto.so.3" })
        {
            Entry("./usr/lib/appliance-agent/lib/" + lib);
        }

        // An OpenWRT-like root: musl's loader, a static busybox, the stand-ins, and the package's files.
        var root = dir.Combine("root");
        foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "lib", "etc", "tmp", "proc", "dev" })
        {
            Directory.CreateDirectory(Path.Combine(root, d));
        }
        File.Copy(busybox, Path.Combine(root, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(root, "bin", "sh"), "busybox");
        File.Copy("/lib/ld-musl-x86_64.so.1", Path.Combine(root, "lib", "ld-musl-x86_64.so.1"));
        (await InRootAsync(root, "/bin/busybox --install -s")).EnsureSuccess("busybox --install");
        (await ProcessRunner.RunAsync("tar", "-xzf", Path.Combine(outer, "data.tar.gz"), "-C", root)).EnsureSuccess("unpack data.tar.gz");
        File.Copy(Path.Combine(Shims, "rc.common"), Path.Combine(root, "etc", "rc.common"));
        File.Copy(Path.Combine(Shims, "functions.sh"), Path.Combine(root, "lib", "functions.sh"));
        foreach (var tool in new[] { "uci" })
        {
            foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin" })
            {
                File.Delete(Path.Combine(root, d, tool));
            }
            var to = Path.Combine(root, "sbin", tool);
            File.Copy(Path.Combine(Shims, tool), to);
            File.SetUnixFileMode(to, (UnixFileMode)0b111_101_101);
        }
        Assert.False(Directory.EnumerateFiles(root, "libc.so*", SearchOption.AllDirectories).Any(f => !f.Contains("/usr/lib/appliance-agent/", StringComparison.Ordinal)),
            "a glibc outside the package's own bundle");

        // uci-defaults: an older config without the firewall option gets it; a value the user set stays.
        await File.WriteAllTextAsync(Path.Combine(root, "etc/config/appliance"), "\nconfig agent 'agent'\n\toption enabled '0'\n");
        (await InRootAsync(root, "/etc/uci-defaults/90-appliance-agent")).EnsureSuccess("uci-defaults");
        Assert.Equal("0|fw4", (await InRootAsync(root, "echo \"$(uci get appliance.agent.enabled)|$(uci get appliance.agent.firewall)\"")).EnsureSuccess("uci get").StdOut.Trim());
        // Disabled: the init script starts nothing.
        (await InRootAsync(root, "/etc/init.d/appliance-agent start")).EnsureSuccess("start (disabled)");
        Assert.DoesNotContain(await File.ReadAllLinesAsync(Path.Combine(root, "tmp/procd.log")), l => l.StartsWith("open", StringComparison.Ordinal));
        File.Delete(Path.Combine(root, "tmp/procd.log"));

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
            (await InRootAsync(root, $"uci set appliance.agent.enabled=1 && uci set appliance.agent.token={token} && " +
                $"uci set appliance.agent.server=http://127.0.0.1:{closed} && uci commit appliance && /etc/init.d/appliance-agent start")).EnsureSuccess("start");
            var procd = await File.ReadAllLinesAsync(Path.Combine(root, "tmp/procd.log"));
            output.WriteLine(string.Join("\n", procd));
            Assert.Equal(
            [
                "open join", "param command /usr/libexec/appliance-join", "param stdout 1", "param stderr 1", "close",
                "open agent", "param command /usr/bin/appliance-agent run --state-dir /etc/appliance --firewall fw4 --wait-for-join --token-file /etc/appliance/token",
                "param respawn 3600 2 0", "param stdout 1", "param stderr 1", "close", "reload-trigger appliance",
            ], procd);
            Assert.Equal(token + "\n", await File.ReadAllTextAsync(Path.Combine(root, "etc/appliance/token")));
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(root, "etc/appliance/token")));

            // The helper's join fails against the closed port: why is written, the token stays for the next try.
            var failed = await InRootAsync(root, "APPLIANCE_JOIN_TRIES=1 /usr/libexec/appliance-join");
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("appliance-join: join failed (exit ", failed.StdErr, StringComparison.Ordinal);
            var lastError = await File.ReadAllTextAsync(Path.Combine(root, "etc/appliance/last-error"));
            output.WriteLine("last-error: " + lastError);
            Assert.StartsWith("join failed (exit ", lastError, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(root, "etc/appliance/token")), "the token went after a failed join");
            Assert.Equal(token, (await InRootAsync(root, "uci get appliance.agent.token")).EnsureSuccess("uci get token").StdOut.Trim());

            // The server option now names the real server: the package's own agent (its glibc bundle, in a musl
            // root) joins, and the token leaves the file and uci.
            (await InRootAsync(root, $"uci set appliance.agent.server={url} && uci commit appliance")).EnsureSuccess("uci set server");
            var joined = await InRootAsync(root, "APPLIANCE_JOIN_RETRY=1 /usr/libexec/appliance-join", TimeSpan.FromMinutes(2));
            output.WriteLine(joined.StdOut + joined.StdErr);
            joined.EnsureSuccess("appliance-join");
            Assert.True(File.Exists(Path.Combine(root, "etc/appliance/state.json")), "no state.json after the join");
            Assert.False(File.Exists(Path.Combine(root, "etc/appliance/token")), "the token file outlived the join");
            Assert.False(File.Exists(Path.Combine(root, "etc/appliance/last-error")), "last-error outlived the join");
            Assert.NotEqual(0, (await InRootAsync(root, "uci -q get appliance.agent.token")).ExitCode);
            Assert.Contains("appliance-join: joined", joined.StdErr, StringComparison.Ordinal);
            Assert.Contains("\"owrt\"", await Cli("node", "list", "--json"), StringComparison.Ordinal);
            var status = (await InRootAsync(root, "/usr/bin/appliance-agent status --state-dir /etc/appliance")).EnsureSuccess("status");
            Assert.Contains("owrt", status.StdOut, StringComparison.Ordinal);

            // Joined: a start asks for the agent alone, no join helper.
            File.Delete(Path.Combine(root, "tmp/procd.log"));
            (await InRootAsync(root, "/etc/init.d/appliance-agent start")).EnsureSuccess("start (joined)");
            var again = await File.ReadAllLinesAsync(Path.Combine(root, "tmp/procd.log"));
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

    private static async Task<string[]> LinesAsync(string program, params string[] args) =>
        (await ProcessRunner.RunAsync(program, args)).EnsureSuccess(program).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Runs a busybox shell command chrooted into <paramref name="root"/> with its own /proc and the host's /dev, in
    /// mount and pid namespaces that go away with it; PATH as OpenWRT's.
    /// </summary>
    private static Task<ProcessResult> InRootAsync(string root, string command, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("unshare", ["--mount", "--pid", "--fork", "/bin/sh", "-c",
            $"mount -t proc proc '{root}/proc' && mount --rbind /dev '{root}/dev' && exec chroot '{root}' /bin/sh -c \"$0\"",
            "export PATH=/usr/sbin:/usr/bin:/sbin:/bin; " + command], timeout: timeout ?? TimeSpan.FromMinutes(2));
}
