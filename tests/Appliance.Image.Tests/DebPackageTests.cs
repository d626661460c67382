using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// The .deb packages from image/build-deb.sh, installed with `apt install ./file.deb` into a fresh Debian root
/// (mmdebstrap, so apt resolves their dependencies from Debian's archive): the units pass systemd-analyze verify,
/// the server's is enabled by its postinst, the packaged server starts with its embedded defaults and data dir and
/// its admin CLI finds the admin token there, and the agent binary runs.
/// </summary>
[Trait("Category", TestCategories.Interop)]
[Collection(ImageLab.Collection)]
public sealed class DebPackageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Agent_and_server_packages_install_with_apt_and_the_server_starts_from_its_unit_command()
    {
        Prerequisites.RequireRoot();
        foreach (var p in new[] { "mmdebstrap", "dpkg-deb", "systemd-analyze", "unshare" })
        {
            Prerequisites.RequireProgram(p);
        }
        using var dir = new TempDirectory("appliance-deb");
        var debs = dir.Combine("debs");
        var built = await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("image", "build-deb.sh"), "--arch", "amd64", "--out-dir", debs], timeout: TimeSpan.FromMinutes(30));
        built.EnsureSuccess("image/build-deb.sh");
        var files = Directory.GetFiles(debs, "*.deb").Select(Path.GetFileName).Order().ToArray();
        output.WriteLine(string.Join("\n", files));
        Assert.Collection(files, f => Assert.Matches(@"^appliance-agent_[0-9][^_]*_amd64\.deb$", f), f => Assert.Matches(@"^appliance-server_[0-9][^_]*_amd64\.deb$", f));

        var root = dir.Combine("root");
        // The image builder's .deb cache, used through a private copy taken and given back under its lock.
        var cache = "/var/cache/appliance-image/debs-amd64";
        var aptCache = dir.Combine("apt-cache");
        Directory.CreateDirectory(cache);
        Directory.CreateDirectory(aptCache);
        (await WithCacheLockAsync("cp", "-a", cache + "/.", aptCache + "/")).EnsureSuccess("copy the .deb cache");
        var strap = await ProcessRunner.RunAsync("mmdebstrap", ["--quiet", "--mode=root", "--variant=apt", "--include=systemd,curl",
            "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/", $"--setup-hook=sync-in {aptCache} /var/cache/apt/archives/",
            $"--customize-hook=copy-in {Path.Combine(debs, files[0]!)} {Path.Combine(debs, files[1]!)} /tmp",
            // What a user types: apt resolves the packages' dependencies from the archive.
            $"--customize-hook=chroot \"$1\" apt-get install -y --no-install-recommends /tmp/{files[0]} /tmp/{files[1]}",
            $"--customize-hook=sync-out /var/cache/apt/archives {aptCache}",
            "bookworm", root, "deb http://deb.debian.org/debian bookworm main"], timeout: TimeSpan.FromMinutes(30));
        strap.EnsureSuccess("mmdebstrap with apt-get install ./*.deb");
        (await WithCacheLockAsync("cp", "-an", aptCache + "/.", cache + "/")).EnsureSuccess("give the .deb cache back");

        Assert.True(File.Exists(Path.Combine(root, "usr/bin/appliance-agent")));
        Assert.True(File.Exists(Path.Combine(root, "usr/lib/appliance-server/appliance-server")));
        // Enabled by the server's postinst (started too, where systemd runs); the agent waits for a join.
        Assert.True(File.Exists(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/appliance-server.service")));
        Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/appliance-agent.service")));
        foreach (var unit in new[] { "appliance-server.service", "appliance-agent.service" })
        {
            var verify = await ProcessRunner.RunAsync("systemd-analyze", ["verify", "--root=" + root, "/usr/lib/systemd/system/" + unit], timeout: TimeSpan.FromMinutes(2));
            output.WriteLine($"systemd-analyze verify {unit}: {verify.ExitCode} {verify.StdOut}{verify.StdErr}");
            Assert.True(verify.ExitCode == 0, $"{unit}: {verify.StdErr}");
        }

        var agent = await InRootAsync(root, "/usr/bin/appliance-agent --help");
        Assert.True(agent.ExitCode == 0, agent.StdErr + agent.StdOut);

        // The unit's ExecStart, inside the root, on loopback ports of our own: the embedded defaults and the data dir.
        var unitText = await File.ReadAllTextAsync(Path.Combine(root, "usr/lib/systemd/system/appliance-server.service"));
        var exec = unitText.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];
        Assert.Equal("/usr/lib/appliance-server/appliance-server serve --data-dir /var/lib/appliance-server", exec);
        int port = Binaries.FreeTcpPort(), mqtt = Binaries.FreeTcpPort();
        // HTTPS and MQTT over TLS as the defaults have them; the admin CLI (the package's wrapper) pins the CA it finds in the data dir.
        var script = $"mkdir -p /var/lib/appliance-server && {exec} --urls https://127.0.0.1:{port} --mqtt-url mqtts://127.0.0.1:{mqtt} > /tmp/server.log 2>&1 & " +
            $"pid=$!; ok=1; for i in $(seq 1 240); do if /usr/bin/curl -kfsS https://127.0.0.1:{port}/healthz >/dev/null 2>&1; then ok=0; break; fi; sleep 0.5; done; " +
            $"APPLIANCE_SERVER=https://127.0.0.1:{port} /usr/bin/appliance-server network create debnet --ipv4 10.88.0.0/24 && " +
            $"APPLIANCE_SERVER=https://127.0.0.1:{port} /usr/bin/appliance-server network list; cli=$?; ls /var/lib/appliance-server; kill $pid; wait $pid; tail -5 /tmp/server.log; exit $((ok + cli))";
        var server = await InRootAsync(root, script, TimeSpan.FromMinutes(5));
        output.WriteLine(server.StdOut + server.StdErr);
        Assert.True(server.ExitCode == 0, server.StdOut + server.StdErr);
        Assert.Contains("debnet", server.StdOut, StringComparison.Ordinal);
        foreach (var file in new[] { "admin.token", "ca.crt", "server.crt", "signing.key", "appliance.db" })
        {
            Assert.Contains(file, server.StdOut.Split('\n'));
        }
    }

    private static Task<ProcessResult> WithCacheLockAsync(params string[] command) =>
        ProcessRunner.RunAsync("flock", ["-w", "900", "/var/cache/appliance-image/.lock-amd64", .. command], timeout: TimeSpan.FromMinutes(16));

    /// <summary>Runs a shell command chrooted into <paramref name="root"/> with its own /proc, in a mount namespace that goes away with it.</summary>
    private static Task<ProcessResult> InRootAsync(string root, string command, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("unshare", ["--mount", "--pid", "--fork", "sh", "-c", $"mount -t proc proc '{root}/proc' && exec chroot '{root}' /bin/sh -c \"$0\"", command],
            timeout: timeout ?? TimeSpan.FromMinutes(2));
}
