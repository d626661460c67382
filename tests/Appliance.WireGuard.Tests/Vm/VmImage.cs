using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.WireGuard.Tests.Vm;

/// <summary>A bootable kernel + initramfs built by <c>Vm/build-vm-image.sh</c> (Debian's stock kernel, busybox, wg, an optional app).</summary>
public sealed record VmImage(string Kernel, string Initramfs)
{
    public const string DefaultCache = "/var/cache/appliance-vm";

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Vm", "build-vm-image.sh");

    /// <summary>Builds an image into <paramref name="outDir"/>, copying <paramref name="appDir"/> (if any) to /app in the guest.</summary>
    public static async Task<VmImage> BuildAsync(string outDir, string? appDir = null, string cacheDir = DefaultCache)
    {
        Prerequisites.RequireRoot();
        foreach (var p in new[] { "qemu-system-x86_64", "cpio", "xz", "depmod", "readelf", "apt-get", "flock" })
        {
            Prerequisites.RequireProgram(p);
        }
        var env = new Dictionary<string, string> { ["CACHE"] = cacheDir, ["OUT"] = outDir, ["APP_DIR"] = appDir ?? "" };
        (await ProcessRunner.RunAsync("bash", [Script], env: env, timeout: TimeSpan.FromMinutes(10))).EnsureSuccess("build-vm-image.sh");
        return new VmImage(File.ReadAllText(Path.Combine(outDir, "kernel.path")).Trim(), Path.Combine(outDir, "initramfs.cpio.gz"));
    }

    /// <summary>
    /// Publishes a console project self-contained, trimmed and ReadyToRun (JIT is slow under TCG) for the guest.
    /// Its bin/obj go to an artifacts directory under the cache, so the RID-specific restore never touches the
    /// obj/ folders of the repository that other test assemblies are running from, and rebuilds are incremental.
    /// </summary>
    public static async Task<string> PublishAppAsync(string projectPath, string outDir, string cacheDir = DefaultCache)
    {
        var artifacts = Path.Combine(cacheDir, "artifacts-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(RepoPaths.Root)))[..12]);
        Directory.CreateDirectory(artifacts);
        using var lockFile = await AcquireLockAsync(Path.Combine(artifacts, ".lock"));
        (await ProcessRunner.RunAsync("dotnet",
            ["publish", projectPath, "-nologo", "-v", "q", "-c", "Release", "-r", "linux-x64", "--self-contained",
             "-p:PublishTrimmed=true", "-p:PublishReadyToRun=true", "--artifacts-path", artifacts, "-o", outDir],
            timeout: TimeSpan.FromMinutes(10))).EnsureSuccess("dotnet publish " + projectPath);
        return outDir;
    }

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
