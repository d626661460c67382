using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>A long-running third-party program (mosquitto_sub) whose output a test watches; killed on dispose.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _out;

    public BackgroundProcess(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        _out = ProcessOutput.Capture(_process);
    }

    public string Output => _out.Text;

    public Task WaitForOutputAsync(string text, TimeSpan wait) =>
        Wait.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal), $"'{text}' in the output", wait, () => "output so far:\n" + Output);

    public async Task<int> WaitForExitAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
