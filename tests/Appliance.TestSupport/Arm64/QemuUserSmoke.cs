using System.Diagnostics;

namespace Appliance.TestSupport.Arm64;

/// <summary>
/// Runs a test assembly's tests on linux-arm64 under qemu-user (issue #15): publishes tests/Appliance.SmokeRunner
/// self-contained for linux-arm64 (the JIT runtime, so the test assembly and its dependencies load as built) and runs
/// it with the cross C library (<c>qemu-aarch64 -L /usr/aarch64-linux-gnu</c>) on the given assembly and filter.
/// OpenSSL for arm64 (which .NET loads for hashing, signatures and TLS) is not in the cross toolchain: Debian's
/// libssl3:arm64 is fetched by scripts/fetch-debs.sh (cached in <see cref="DebCache"/>) and put on the guest's library path.
/// </summary>
public static class QemuUserSmoke
{
    /// <summary>Where the arm64 C library and loader of libc6-dev-arm64-cross live (qemu-user's -L root).</summary>
    public const string CrossRoot = "/usr/aarch64-linux-gnu";

    /// <summary>Where the arm64 Debian packages are cached between runs.</summary>
    public const string DebCache = "/var/cache/appliance-arm64/debs";

    /// <summary>Publishes the runner into <paramref name="work"/> and runs <paramref name="testAssembly"/>'s matching tests.</summary>
    /// <param name="filter">The runner's filter: <c>--trait Name=Value</c>, <c>--class Prefix</c>.</param>
    public static async Task<QemuUserSmokeResult> RunAsync(string testAssembly, IReadOnlyList<string> filter, TempDirectory work, TimeSpan timeout)
    {
        var qemu = Prerequisites.RequireProgram("qemu-aarch64");
        if (!File.Exists(Path.Combine(CrossRoot, "lib", "ld-linux-aarch64.so.1")))
        {
            throw new InvalidOperationException($"prerequisite missing: no arm64 loader under {CrossRoot} (libc6-dev-arm64-cross). Run scripts/test.sh.");
        }
        var libs = await ExtractAsync(work.Combine("sysroot"), "libssl3");
        var output = work.Combine("runner");
        var clock = Stopwatch.StartNew();
        (await ProcessRunner.RunAsync("dotnet",
        [
            "publish", RepoPaths.Combine("tests", "Appliance.SmokeRunner", "Appliance.SmokeRunner.csproj"),
            "-c", "Release", "-r", "linux-arm64", "--self-contained",
            "--artifacts-path", work.Combine("artifacts"), "-o", output, "-nologo",
        ], timeout: TimeSpan.FromMinutes(10))).EnsureSuccess("dotnet publish the arm64 smoke runner");
        var published = clock.Elapsed;
        clock.Restart();
        var run = await ProcessRunner.RunAsync(qemu,
            ["-L", CrossRoot, "-E", "LD_LIBRARY_PATH=" + libs, Path.Combine(output, "appliance-smoke-runner"), testAssembly, .. filter], timeout: timeout);
        return QemuUserSmokeResult.Parse(run, published, clock.Elapsed);
    }

    /// <summary>
    /// The smoke test each device test assembly has (Agent, Netlink, WireGuard): runs the Unit tests of the assembly
    /// holding <paramref name="smokeTest"/> on arm64 and asserts they all passed on an Arm64 runtime, that a test of each
    /// of <paramref name="mustPass"/> (class names) is among them, that none was skipped, and that the smoke test (not
    /// a Unit test) did not run itself.
    /// </summary>
    public static async Task AssertUnitTestsPassAsync(Type smokeTest, IReadOnlyList<string> mustPass, Xunit.Abstractions.ITestOutputHelper output)
    {
        using var work = new TempDirectory("appliance-arm64-smoke");
        var result = await RunAsync(smokeTest.Assembly.Location, ["--trait", "Category=" + TestCategories.Unit], work, TimeSpan.FromMinutes(10));
        output.WriteLine($"published in {result.PublishTime.TotalSeconds:F0} s, ran {result.Tests.Count} tests on {result.Architecture} in {result.RunTime.TotalSeconds:F0} s");

        Xunit.Assert.True(result.ExitCode == 0 && result.Failed == 0, result.Output);
        Xunit.Assert.Equal("Arm64", result.Architecture);
        foreach (var cls in mustPass)
        {
            Xunit.Assert.True(result.PassedIn(cls).Any(), $"no test of {cls} passed on arm64:\n{result.Output}");
        }
        Xunit.Assert.DoesNotContain(result.Tests, t => t.Name.Contains(smokeTest.Name, StringComparison.Ordinal));
        Xunit.Assert.Equal(0, result.Skipped);
    }

    /// <summary>Fetches arm64 packages and unpacks them under <paramref name="root"/>; returns their library directory.</summary>
    public static async Task<string> ExtractAsync(string root, params string[] packages)
    {
        var fetched = (await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("scripts", "fetch-debs.sh"), "arm64", DebCache, .. packages],
            timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("scripts/fetch-debs.sh arm64 " + string.Join(' ', packages));
        foreach (var deb in fetched.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            (await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dpkg-deb"), "-x", deb, root)).EnsureSuccess("dpkg-deb -x " + deb);
        }
        return Path.Combine(root, "usr", "lib", "aarch64-linux-gnu");
    }
}
