using System.Diagnostics;

namespace Appliance.TestSupport.Vm;

/// <summary>
/// A bootable kernel + initramfs built by <c>Vm/build-vm-image.sh</c> (Debian's stock kernel, busybox, wg, an optional
/// app), for <c>x64</c> (qemu-system-x86_64) or <c>arm64</c> (qemu-system-aarch64 -M virt, TCG).
/// </summary>
public sealed record VmImage(string Kernel, string Initramfs, string Architecture = "x64")
{
    public const string DefaultCache = "/var/cache/appliance-vm";

    /// <summary>
    /// The Debian suite whose kernel has gpio-sim (<c>CONFIG_GPIO_SIM=m</c>): trixie-backports (Linux 7.3). Checked
    /// 2026-12-05: bookworm's 6.1, bookworm-backports' 6.12.95 and trixie's 6.12.117 have neither GPIO_SIM nor GPIO_MOCKUP.
    /// </summary>
    public const string GpioSimSuite = "trixie-backports";

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Vm", "build-vm-image.sh");

    /// <summary>
    /// Builds an image into <paramref name="outDir"/>, copying <paramref name="appDir"/> (if any) to /app in the guest.
    /// <paramref name="extraModules"/> are kernel modules (with their dependencies) loaded at boot besides the
    /// default set, e.g. <c>uinput</c>, <c>input-leds</c>, <c>softdog</c>, <c>i2c-stub</c>, <c>i2c-dev</c>;
    /// <paramref name="moduleParameters"/> maps a module name to its insmod parameters (<c>["i2c-stub"] = "chip_addr=0x3c"</c>).
    /// <paramref name="kernelSuite"/> (x64 only): the kernel that <c>linux-image-amd64</c> names in that Debian suite
    /// (e.g. <see cref="GpioSimSuite"/>) instead of the system's, for a kernel feature Debian 12's 6.1 lacks.
    /// </summary>
    public static async Task<VmImage> BuildAsync(
        string outDir, string? appDir = null, string cacheDir = DefaultCache,
        IReadOnlyList<string>? extraModules = null, IReadOnlyDictionary<string, string>? moduleParameters = null, string architecture = "x64",
        string? kernelSuite = null)
    {
        Prerequisites.RequireRoot();
        if (architecture is not ("x64" or "arm64"))
        {
            throw new ArgumentException($"architecture is x64 or arm64, not '{architecture}'", nameof(architecture));
        }
        // arm64: qemu-user lists busybox's applets; the guest's glibc comes from the cross C library.
        string[] programs = architecture == "x64"
            ? ["qemu-system-x86_64", "cpio", "xz", "depmod", "readelf", "apt-get", "flock"]
            : ["qemu-system-aarch64", "qemu-aarch64", "cpio", "depmod", "apt-get", "flock", "dpkg-deb"];
        foreach (var p in programs)
        {
            Prerequisites.RequireProgram(p);
        }
        if (kernelSuite is not null && (architecture != "x64" || kernelSuite.Length is 0 or > 64 || !kernelSuite.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            throw new ArgumentException($"kernel suite '{kernelSuite}': a Debian suite name (x64 only)", nameof(kernelSuite));
        }
        foreach (var m in extraModules ?? [])
        {
            // The names go into a shell word list: only what a module name can hold.
            if (!IsModuleName(m))
            {
                throw new ArgumentException($"not a kernel module name: '{m}'", nameof(extraModules));
            }
        }
        foreach (var (m, p) in moduleParameters ?? new Dictionary<string, string>())
        {
            if (!IsModuleName(m) || p.Any(c => c is '\n' or '\'' or '"' or '$' or '`' or ';' or '|' or '&'))
            {
                throw new ArgumentException($"bad module parameters for '{m}': '{p}'", nameof(moduleParameters));
            }
        }
        var env = new Dictionary<string, string>
        {
            ["CACHE"] = cacheDir, ["OUT"] = outDir, ["APP_DIR"] = appDir ?? "", ["EXTRA_MODULES"] = string.Join(' ', extraModules ?? []),
            // The guest matches the kernel's spelling of a module name: underscores.
            ["MODULE_PARAMS"] = string.Join('\n', (moduleParameters ?? new Dictionary<string, string>()).Select(kv => kv.Key.Replace('-', '_') + " " + kv.Value)),
            ["ARCH"] = architecture, ["FETCH_DEBS"] = RepoPaths.Combine("scripts", "fetch-debs.sh"),
            ["KERNEL_SUITE"] = kernelSuite ?? "", ["FETCH_KERNEL"] = RepoPaths.Combine("scripts", "fetch-kernel.sh"),
        };
        (await ProcessRunner.RunAsync("bash", [Script], env: env, timeout: TimeSpan.FromMinutes(10))).EnsureSuccess("build-vm-image.sh");
        return new VmImage(File.ReadAllText(Path.Combine(outDir, "kernel.path")).Trim(), Path.Combine(outDir, "initramfs.cpio.gz"), architecture);
    }

    /// <summary>
    /// Publishes a console project self-contained, trimmed and ReadyToRun (JIT is slow under TCG) for the guest;
    /// for <c>linux-arm64</c> NativeAOT instead, as the arm64 agent ships (clang and the arm64 cross linker).
    /// Its bin/obj go to an artifacts directory under the cache, so the RID-specific restore never touches the
    /// obj/ folders of the repository that other test assemblies are running from, and rebuilds are incremental.
    /// </summary>
    public static async Task<string> PublishAppAsync(string projectPath, string outDir, string cacheDir = DefaultCache, string rid = "linux-x64")
    {
        string[] mode = rid switch
        {
            "linux-x64" => ["--self-contained", "-p:PublishTrimmed=true", "-p:PublishReadyToRun=true"],
            "linux-arm64" => ["-p:PublishAot=true"],
            _ => throw new ArgumentException($"rid is linux-x64 or linux-arm64, not '{rid}'", nameof(rid)),
        };
        var artifacts = Path.Combine(cacheDir, "artifacts-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(RepoPaths.Root)))[..12]);
        Directory.CreateDirectory(artifacts);
        using var lockFile = await AcquireLockAsync(Path.Combine(artifacts, ".lock"));
        (await ProcessRunner.RunAsync("dotnet",
            ["publish", projectPath, "-nologo", "-v", "q", "-c", "Release", "-r", rid, .. mode, "--artifacts-path", artifacts, "-o", outDir],
            timeout: TimeSpan.FromMinutes(10))).EnsureSuccess("dotnet publish " + projectPath);
        return outDir;
    }

    private static bool IsModuleName(string m) => m.Length > 0 && m.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static async Task<FileStream> AcquireLockAsync(string path)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(500);
            }
        }
    }
}
