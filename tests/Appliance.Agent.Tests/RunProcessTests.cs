using System.Diagnostics;
using System.Globalization;
using Appliance.Agent.State;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// The real `appliance-agent run` process against a state dir whose broker is unreachable (a closed loopback port):
/// SIGTERM while it is still retrying ends it with exit code 0 (no unhandled exception, no SIGABRT), a second `run`
/// on the same state dir refuses naming the first one's pid, and a pid file left by a killed agent does not block a
/// restart; SIGTERM while connected to a broker (Mosquitto) exits 0 as well. No interface is created: the state dir
/// has no desired state.
/// </summary>
public sealed class RunProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-run");
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        // Only the processes this test started, by their own handle.
        foreach (var p in _started)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        _dir.Dispose();
    }

    private string StateDir(int? brokerPort = null)
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = $"mqtt://127.0.0.1:{brokerPort ?? Binaries.FreeTcpPort()}",
            SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(Ed25519.GeneratePrivateKey())),
        });
        return store.Directory;
    }

    private (Process Process, ProcessOutput Output) StartRun(string stateDir)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Binaries.Agent, "run", "--state-dir", stateDir, "--hosts-file", _dir.Combine("hosts"), "--backend", "userspace" })
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the agent");
        _started.Add(p);
        return (p, ProcessOutput.Capture(p));
    }

    private static async Task WaitForLogAsync(Process p, ProcessOutput output, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!output.Text.Contains(text, StringComparison.Ordinal))
        {
            if (p.HasExited)
            {
                Assert.Fail($"the agent exited ({p.ExitCode}) before saying '{text}':\n{output.Text}");
            }
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for '{text}':\n{output.Text}");
            await Task.Delay(50);
        }
    }

    private static async Task<int> TerminateAsync(Process p, ProcessOutput output)
    {
        (await ProcessRunner.RunAsync("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture))).EnsureSuccess("kill -TERM");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the agent did not stop within 15 s of SIGTERM:\n" + output.Text);
        }
        p.WaitForExit(); // the output readers have drained
        return p.ExitCode;
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Sigterm_while_retrying_an_unreachable_broker_exits_0()
    {
        var (p, output) = StartRun(StateDir());
        await WaitForLogAsync(p, output, "cannot reach the broker");
        var code = await TerminateAsync(p, output);
        Assert.True(code == 0, $"exit code {code} (134 is SIGABRT after an unhandled exception):\n{output.Text}");
        Assert.DoesNotContain("Unhandled exception", output.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Combine("state"), InstanceLock.PidFileName)), "run.pid is removed on a clean stop");
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Sigterm_while_connected_to_the_broker_exits_0()
    {
        Prerequisites.RequireProgram("mosquitto");
        var port = Binaries.FreeTcpPort();
        await using var broker = await MosquittoProcess.StartAsync(_dir.Path, port, $"listener {port} 127.0.0.1\nallow_anonymous true\n");
        var (p, output) = StartRun(StateDir(port));
        await WaitForLogAsync(p, output, "connected to the broker");
        var code = await TerminateAsync(p, output);
        Assert.True(code == 0, $"exit code {code}:\n{output.Text}");
        Assert.DoesNotContain("Unhandled exception", output.Text, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task A_second_run_on_the_same_state_dir_refuses_naming_the_first_and_a_killed_one_does_not_block()
    {
        var state = StateDir();
        var (first, firstOutput) = StartRun(state);
        await WaitForLogAsync(first, firstOutput, "cannot reach the broker");

        var second = await ProcessRunner.RunAsync("dotnet",
            [Binaries.Agent, "run", "--state-dir", state, "--hosts-file", _dir.Combine("hosts"), "--backend", "userspace"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(second.ExitCode == 1, $"exit {second.ExitCode}\n{second.StdOut}{second.StdErr}");
        Assert.Contains($"(pid {first.Id})", second.StdErr, StringComparison.Ordinal);
        Assert.Contains("already running", second.StdErr, StringComparison.Ordinal);
        Assert.False(first.HasExited, "the refused second run must not disturb the first");

        // A crash leaves run.pid behind; the kernel released the lock, so a restart goes ahead.
        first.Kill();
        await first.WaitForExitAsync();
        Assert.Equal(first.Id, InstanceLock.ReadPid(Path.Combine(state, InstanceLock.PidFileName)));
        var (third, thirdOutput) = StartRun(state);
        await WaitForLogAsync(third, thirdOutput, "cannot reach the broker");
        Assert.Equal(third.Id, InstanceLock.ReadPid(Path.Combine(state, InstanceLock.PidFileName)));
        Assert.Equal(0, await TerminateAsync(third, thirdOutput));
    }
}
