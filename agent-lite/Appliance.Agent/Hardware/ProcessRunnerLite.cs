namespace Appliance.Agent.Hardware;

/// <summary>Runs one command with a timeout and returns its exit code (its output goes to the agent's log stream).</summary>
internal static class ProcessRunnerLite
{
    public static async Task<int> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new IOException("could not start " + argv[0]);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            p.Kill();
            throw new TimeoutException($"{argv[0]} did not finish within {timeout.TotalSeconds:0} s");
        }
        return p.ExitCode;
    }
}
