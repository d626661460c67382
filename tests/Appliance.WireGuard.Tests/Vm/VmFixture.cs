using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.WireGuard.Tests.Vm;

/// <summary>
/// Boots the VM once per test run: publishes tests/Appliance.VmProbe, builds the image, runs all probe scenarios
/// in the guest and keeps the console. Tests then assert on the probe's <c>@@RESULT</c>/<c>@@CHECK</c> lines.
/// x86-64 here; <see cref="Arm64VmFixture"/> does the same with an arm64 kernel and the probe's arm64 build.
/// </summary>
public class VmFixture : IAsyncLifetime
{
    private readonly TempDirectory _work = new("apwg-vm");
    private readonly string _rid;
    private readonly TimeSpan _timeout;

    public VmFixture()
        : this("linux-x64", TimeSpan.FromMinutes(8))
    {
    }

    protected VmFixture(string rid, TimeSpan timeout)
    {
        _rid = rid;
        _timeout = timeout;
    }

    public VmRun Run { get; private set; } = null!;

    public Exception? SetupError { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            var app = await VmImage.PublishAppAsync(RepoPaths.Combine("tests", "Appliance.VmProbe", "Appliance.VmProbe.csproj"), _work.Combine("probe"), rid: _rid);
            var arch = _rid == "linux-arm64" ? "arm64" : "x64";
            var image = await VmImage.BuildAsync(_work.Combine("image"), app, architecture: arch);
            Run = await QemuVm.RunAsync(image, _work.Combine("share"),
                // APPLIANCE_VM_BENCH=1 adds the netlink-vs-wg-setconf benchmark (minutes under TCG; see docs/BENCHMARKS.md).
                $"/app/Appliance.VmProbe all{(Environment.GetEnvironmentVariable("APPLIANCE_VM_BENCH") == "1" ? " bench-netlink" : "")} 2>&1 | tee /mnt/host/probe.out\n",
                _timeout);
            File.WriteAllText(Path.Combine(Path.GetTempPath(), arch == "x64" ? "apwg-vm-console.log" : $"apwg-vm-console-{arch}.log"), Run.Console);
        }
        catch (Exception e)
        {
            SetupError = e;
        }
    }

    /// <summary>The <c>@@RESULT</c> line of a scenario; fails with the whole console when it is missing or failed.</summary>
    public void AssertScenarioPassed(string scenario)
    {
        if (SetupError is not null)
        {
            throw new InvalidOperationException("VM setup failed: " + SetupError);
        }
        var line = Run.Lines("RESULT").FirstOrDefault(l => l.StartsWith(scenario + " ", StringComparison.Ordinal));
        if (line is null || !line.StartsWith(scenario + " PASS", StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"scenario '{scenario}': {line ?? "no result"}\n--- console ---\n{Run.Console}");
        }
    }

    public Task DisposeAsync()
    {
        _work.Dispose();
        return Task.CompletedTask;
    }
}
