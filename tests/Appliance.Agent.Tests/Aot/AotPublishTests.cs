using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Agent.Tests.Aot;

/// <summary>
/// The release build of the agent (issue #15): a NativeAOT publish for linux-x64 and linux-arm64 with no trim or AOT
/// warning, within the size goal, whose binary runs (the arm64 one under qemu-user).
/// </summary>
public sealed partial class AotPublishTests(AotPublishFixture fixture, ITestOutputHelper output) : IClassFixture<AotPublishFixture>
{
    /// <summary>
    /// Issue #15's goals for the binary, stated for x86-64 (the proxy for arm64): 8 MB, 4 MB xz-compressed, counted in
    /// MiB like the memory figures. x86-64 is held to the goal: the agent's own HTTP/1.1 client (instead of HttpClient
    /// and System.Net.Http.Json's glue) brought it from 8,458,064 to 8,239,792 bytes, 145 KB under 8 MiB. arm64's code is ~12 % larger (fixed-size instructions), so its ceiling is a growth guard
    /// at 8 MiB + 3/8 (8,633,080 bytes with the client, 8,839,064 before). The xz goal holds (docs/BENCHMARKS.md "Agent memory").
    /// </summary>
    private const long MiB = 1024 * 1024;
    private static readonly Dictionary<string, long> MaxBinaryBytes = new() { ["linux-x64"] = 8 * MiB, ["linux-arm64"] = 8 * MiB + 3 * MiB / 8 };
    private const long MaxXzBytes = 4 * MiB;

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Linux_x64_release_publish_is_a_small_native_binary_that_runs()
    {
        var binary = await PublishAsync("linux-x64", "X86-64");
        await AssertRunsAsync(binary, []);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Linux_arm64_release_publish_is_a_small_native_binary_that_runs_under_qemu()
    {
        var binary = await PublishAsync("linux-arm64", "AArch64");
        // qemu-user runs the arm64 binary against the cross C library (libc6-dev-arm64-cross).
        await AssertRunsAsync(Prerequisites.RequireProgram("qemu-aarch64"), ["-L", "/usr/aarch64-linux-gnu", binary]);
    }

    /// <summary>
    /// `dotnet publish -c Release -r RID` with no other option, as the README gives it: the project makes that NativeAOT.
    /// Returns the binary after checking the log for warnings, its ELF machine and its size.
    /// </summary>
    private async Task<string> PublishAsync(string rid, string elfMachine)
    {
        Prerequisites.RequireProgram("clang");
        if (rid == "linux-arm64")
        {
            Prerequisites.RequireProgram("aarch64-linux-gnu-gcc");
            Prerequisites.RequireProgram("aarch64-linux-gnu-objcopy");
        }
        var clock = Stopwatch.StartNew();
        var r = await ProcessRunner.RunAsync("dotnet",
        [
            "publish", RepoPaths.Combine("agent-lite", "Appliance.Agent", "Appliance.Agent.csproj"),
            "-c", "Release", "-r", rid,
            "--artifacts-path", fixture.ArtifactsPath, "-o", fixture.Output(rid), "-nologo",
        ], timeout: TimeSpan.FromMinutes(15));
        clock.Stop();
        var log = r.StdOut + r.StdErr;
        Assert.True(r.ExitCode == 0, log);
        // IL2xxx are trim warnings, IL3xxx AOT ones; TreatWarningsAsErrors may turn them into errors, so look for both.
        var warnings = log.Split('\n').Where(l => Diagnostic().IsMatch(l)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));

        var binary = Path.Combine(fixture.Output(rid), "appliance-agent");
        Assert.True(File.Exists(binary), $"no native binary at {binary}:\n{log}");
        // A NativeAOT binary stands alone: no runtime or assemblies beside it (symbols go to a separate .dbg file).
        Assert.DoesNotContain(Directory.GetFiles(fixture.Output(rid)), f => f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal));
        var header = (await ProcessRunner.RunAsync(Prerequisites.RequireProgram("readelf"), "-h", binary)).EnsureSuccess("readelf -h");
        Assert.Contains(elfMachine, header.StdOut, StringComparison.Ordinal);

        var size = new FileInfo(binary).Length;
        var xz = await XzSizeAsync(binary);
        output.WriteLine($"{rid}: {size} bytes ({(double)size / MiB:F2} MiB) binary, {xz} bytes ({(double)xz / MiB:F2} MiB) xz -9e, published in {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(size <= MaxBinaryBytes[rid], $"{rid} binary is {(double)size / MiB:F2} MiB, at most {MaxBinaryBytes[rid] / MiB} MiB allowed");
        Assert.True(xz <= MaxXzBytes, $"{rid} binary is {(double)xz / MiB:F2} MiB xz-compressed, the goal is at most {MaxXzBytes / MiB} MiB");
        return binary;
    }

    /// <summary>`--help` prints the usage; `status` on a state dir it has never seen says it is not joined.</summary>
    private async Task AssertRunsAsync(string program, string[] prefix)
    {
        var help = await ProcessRunner.RunAsync(program, [.. prefix, "--help"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(help.ExitCode == 0, help.StdOut + help.StdErr);
        Assert.Contains("usage: appliance-agent <command>", help.StdOut, StringComparison.Ordinal);

        var status = await ProcessRunner.RunAsync(program, [.. prefix, "status", "--state-dir", fixture.EmptyDirectory("state-" + Guid.NewGuid().ToString("N"))], timeout: TimeSpan.FromMinutes(1));
        Assert.True(status.ExitCode == 0, status.StdOut + status.StdErr);
        Assert.Contains("not joined: run 'appliance-agent join --token <token>'", status.StdOut, StringComparison.Ordinal);
        output.WriteLine($"{string.Join(' ', prefix)} status: {status.StdOut.Trim()}");
    }

    /// <summary>An MSBuild or ILC diagnostic line (<c>warning CS8602</c>, <c>warning IL2026</c>, <c>error IL3050</c>).</summary>
    [GeneratedRegex(@"\b(warning [A-Z]+[0-9]+|IL[23][0-9]{3})\b")]
    private static partial Regex Diagnostic();

    private static async Task<long> XzSizeAsync(string path)
    {
        var xz = Prerequisites.RequireProgram("xz");
        var compressed = path + ".xz";
        (await ProcessRunner.RunAsync(xz, ["-9e", "-k", "-f", "-T1", path], timeout: TimeSpan.FromMinutes(3))).EnsureSuccess("xz");
        try
        {
            return new FileInfo(compressed).Length;
        }
        finally
        {
            File.Delete(compressed);
        }
    }
}
