using System.Security.Cryptography;
using System.Text;
using Appliance.ApkTool.Package;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// The OpenWRT packages from image/build-openwrt.sh, the .ipk (OpenWRT 24.10) and the .apk (25.12, apk-tools 3): each
/// one's layout as its package manager reads it, and its files and scripts run in a root that holds only musl, a
/// static busybox and the package — no glibc but the one the package carries (<see cref="OpenWrtRoot"/>, with
/// stand-ins for procd, rc.common, uci and OpenWRT's package-script helpers). The init script starts a join helper
/// and the agent with the uci settings; the helper's join fails against a closed port (last-error written, token
/// kept), then, with the server option pointing at a real appliance-server on loopback, the package's own agent joins
/// it: the token leaves the file and uci, and the server lists the node.
/// </summary>
[Trait("Category", TestCategories.Interop)]
[Collection(ImageLab.Collection)]
public sealed class OpenWrtPackageTests(OpenWrtPackageBuild packages, ITestOutputHelper output) : IClassFixture<OpenWrtPackageBuild>
{
    [Theory]
    [InlineData("", "--arch aarch64|x86_64 is required")]
    [InlineData("--arch mips", "--arch aarch64|x86_64 is required")]
    [InlineData("--arch aarch64 --openwrt-arch x86_64", "--openwrt-arch 'x86_64' is not an aarch64 architecture")]
    [InlineData("--arch x86_64 --openwrt-arch 'x86_64;rm'", "--openwrt-arch 'x86_64;rm': letters, digits, '_' and '-' only")]
    [InlineData("--arch x86_64 --format zip", "--format 'zip': ipk, apk or both")]
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
        Prerequisites.RequireProgram("tar");
        using var dir = new TempDirectory("appliance-ipk");
        var (ipk, _) = await packages.GetAsync();
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

        var root = await OpenWrtRoot.CreateAsync(dir.Combine("root"));
        (await ProcessRunner.RunAsync("tar", "-xzf", Path.Combine(outer, "data.tar.gz"), "-C", root.Path)).EnsureSuccess("unpack data.tar.gz");
        await root.RunInitAndJoinAsync(dir, output);
    }

    [Fact]
    public async Task The_apk_carries_the_ipks_payload_and_scripts_and_joins_a_real_server_from_a_musl_only_root()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireProgram("tar");
        using var dir = new TempDirectory("appliance-apk");
        var (ipk, apk) = await packages.GetAsync();
        Assert.Matches(@"/appliance-agent_[0-9][^/]*-r0_x86_64\.apk$", apk);
        output.WriteLine($"{Path.GetFileName(apk)}: {new FileInfo(apk).Length} bytes; {Path.GetFileName(ipk)}: {new FileInfo(ipk).Length} bytes");

        // Our reader checks what the format carries as it reads: each DATA block's length and SHA-256 against its
        // file's, every file's block there, the identity against the ADB block.
        var package = ApkPackageReader.Read(await File.ReadAllBytesAsync(apk));
        var listing = package.Listing();
        output.WriteLine(listing);
        Assert.Equal("deflate", package.Compression);
        Assert.Equal(0, package.SignatureBlocks);
        Assert.Equal("appliance-agent", package.Info.Name);
        Assert.Matches(@"^[0-9.]+(_git[0-9]{8}~[0-9a-f]+)?-r0$", package.Info.Version);
        Assert.True(ApkPackageRules.IsValidVersion(package.Info.Version));
        Assert.Equal("x86_64", package.Info.Arch);
        Assert.Equal(["firewall4", "kmod-wireguard"], package.Info.Depends);
        Assert.StartsWith("Appliance WireGuard mesh agent: joins a mesh with a token,", package.Info.Description, StringComparison.Ordinal);
        var files = package.Payload().Where(e => e.Kind != ApkEntryKind.Directory).ToDictionary(e => "/" + e.Path);
        Assert.Equal((ulong)files.Values.Where(f => f.Kind == ApkEntryKind.File).Sum(f => (long)f.Content.Length), package.InstalledSize);
        Assert.Contains("d0755 root:root /\n", listing, StringComparison.Ordinal);
        Assert.Contains("-0600 root:root 133 /etc/config/appliance sha256:", listing, StringComparison.Ordinal);
        Assert.Contains("l0777 root:root /usr/bin/appliance-agent -> ../lib/appliance-agent/appliance-agent\n", listing, StringComparison.Ordinal);
        foreach (var path in new[] { "/etc/init.d/appliance-agent", "/etc/uci-defaults/90-appliance-agent", "/usr/libexec/appliance-join", "/usr/lib/appliance-agent/appliance-agent.bin" })
        {
            Assert.Equal(0b111_101_101, files[path].Mode);
        }

        // The same payload as the .ipk's data.tar.gz, byte for byte and mode for mode; the .apk adds OpenWRT's
        // /lib/apk/packages files (the list default_postinst reads, the conffiles sysupgrade keeps).
        var ipkData = dir.Combine("ipk-data");
        Directory.CreateDirectory(ipkData);
        (await ProcessRunner.RunAsync("bash", "-c", $"tar -xzOf '{ipk}' ./data.tar.gz | tar -xzf - -C '{ipkData}'")).EnsureSuccess("unpack the ipk's data");
        var ipkFiles = Directory.EnumerateFileSystemEntries(ipkData, "*", SearchOption.AllDirectories)
            .Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null).Select(p => p[ipkData.Length..]).Order(StringComparer.Ordinal).ToList();
        const string Meta = "/lib/apk/packages/appliance-agent";
        Assert.Equal(ipkFiles, files.Keys.Where(k => !k.StartsWith("/lib/apk/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var path in ipkFiles)
        {
            var info = new FileInfo(ipkData + path);
            if (info.LinkTarget is { } target)
            {
                Assert.Equal(target, files[path].Target);
                continue;
            }
            Assert.True((int)File.GetUnixFileMode(ipkData + path) == files[path].Mode, $"{path}: mode differs from the ipk's");
            Assert.True((await File.ReadAllBytesAsync(ipkData + path)).AsSpan().SequenceEqual(files[path].Content.Span), $"{path}: bytes differ from the ipk's");
        }
        Assert.Equal(string.Concat(ipkFiles.Select(p => p + "\n")), Text(files[Meta + ".list"]));
        Assert.Equal("/etc/config/appliance\n", Text(files[Meta + ".conffiles"]));
        Assert.Equal($"/etc/config/appliance {Convert.ToHexStringLower(SHA256.HashData(files["/etc/config/appliance"].Content.Span))}\n", Text(files[Meta + ".conffiles_static"]));

        // The scripts: OpenWRT's post-install and pre-deinstall for apk, and post-upgrade, the post-install told it
        // is an upgrade.
        var postInstall = await File.ReadAllTextAsync(RepoPaths.Combine("image", "openwrt", "apk", "post-install"));
        Assert.Equal(
            new Dictionary<ApkScript, string>
            {
                [ApkScript.PostInstall] = postInstall,
                [ApkScript.PreDeinstall] = await File.ReadAllTextAsync(RepoPaths.Combine("image", "openwrt", "apk", "pre-deinstall")),
                [ApkScript.PostUpgrade] = "#!/bin/sh\nexport PKG_UPGRADE=1\n" + postInstall[(postInstall.IndexOf('\n', StringComparison.Ordinal) + 1)..],
            },
            package.Scripts);

        // Install as apk would: the payload into the root, then post-install, run by the root's shell.
        var root = await OpenWrtRoot.CreateAsync(dir.Combine("root"));
        foreach (var e in package.Payload())
        {
            var to = root.Combine(e.Path);
            switch (e.Kind)
            {
                case ApkEntryKind.Directory:
                    Directory.CreateDirectory(to);
                    break;
                case ApkEntryKind.Symlink:
                    File.CreateSymbolicLink(to, e.Target!);
                    continue;
                default:
                    await File.WriteAllBytesAsync(to, e.Content.ToArray());
                    break;
            }
            File.SetUnixFileMode(to, (UnixFileMode)e.Mode);
        }
        foreach (var (script, text) in package.Scripts)
        {
            await File.WriteAllTextAsync(root.Combine("tmp/" + ApkScriptNames.Name(script)), text);
        }
        // A fresh install: the uci-defaults run once and go, the service is enabled and started (with no token, the
        // agent alone, waiting for one).
        (await root.RunAsync("sh /tmp/post-install")).EnsureSuccess("post-install");
        Assert.Equal(["add_group_and_user appliance-agent", "default_postinst appliance-agent upgrade=0", "uci-defaults 90-appliance-agent"],
            await root.TakeLogAsync("scripts.log"));
        Assert.False(File.Exists(root.Combine("etc/uci-defaults/90-appliance-agent")), "the uci-defaults script stayed after it ran");
        var procd = await root.TakeLogAsync("procd.log");
        Assert.Equal("enable appliance-agent", procd[0]);
        Assert.Contains("open agent", procd);
        Assert.DoesNotContain("open join", procd);
        // An upgrade does not enable again.
        (await root.RunAsync("sh /tmp/post-upgrade")).EnsureSuccess("post-upgrade");
        Assert.Equal(["add_group_and_user appliance-agent", "default_postinst appliance-agent upgrade=1"], await root.TakeLogAsync("scripts.log"));
        Assert.DoesNotContain("enable appliance-agent", await root.TakeLogAsync("procd.log"));

        // The router's steps, as for the .ipk (the uci-defaults script put back: post-install removed it).
        await File.WriteAllBytesAsync(root.Combine("etc/uci-defaults/90-appliance-agent"), files["/etc/uci-defaults/90-appliance-agent"].Content.ToArray());
        File.SetUnixFileMode(root.Combine("etc/uci-defaults/90-appliance-agent"), (UnixFileMode)0b111_101_101);
        await root.RunInitAndJoinAsync(dir, output);

        // Removal: pre-deinstall disables and stops the service.
        (await root.RunAsync("sh /tmp/pre-deinstall")).EnsureSuccess("pre-deinstall");
        Assert.Equal(["default_prerm appliance-agent"], await root.TakeLogAsync("scripts.log"));
        Assert.Equal(["disable appliance-agent", "stop appliance-agent"], await root.TakeLogAsync("procd.log"));
    }

    private static string Text(ApkPayloadEntry file) => Encoding.UTF8.GetString(file.Content.Span);

    private static async Task<string[]> LinesAsync(string program, params string[] args) =>
        (await ProcessRunner.RunAsync(program, args)).EnsureSuccess(program).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
