using System.Diagnostics;

namespace Appliance.EndToEnd.Tests;

/// <summary>A process that runs until the test stops it (a server, an agent daemon); its output is kept for failure messages.</summary>
public sealed class LongRunningProcess : IAsyncDisposable
{
    private readonly Appliance.TestSupport.ProcessOutput _output;
    private readonly Process _process;

    public LongRunningProcess(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        _output = Appliance.TestSupport.ProcessOutput.Capture(_process);
    }

    public string Log => _output.Text;

    /// <summary>When the first output line that <paramref name="match"/> accepts was read (a Stopwatch timestamp), or null.</summary>
    public long? LineArrival(Func<string, bool> match) => _output.FirstArrival(match);

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM, then SIGKILL of the whole tree if it has not gone within the grace time.</summary>
    public async Task StopAsync(bool kill = false, int graceMs = 5000)
    {
        if (_process.HasExited)
        {
            return;
        }
        if (!kill)
        {
            _ = await Appliance.TestSupport.ProcessRunner.RunAsync("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var cts = new CancellationTokenSource(graceMs);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
                return;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(kill: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
