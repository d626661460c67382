using System.Diagnostics;
using System.Globalization;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// <c>nc -lk PORT</c> inside a namespace for as long as the test needs it (stopped by its own pid on dispose), and
/// <see cref="ConnectsAsync"/>, whether a TCP connection from another namespace completes.
/// </summary>
internal sealed class TcpListenerProcess : IDisposable
{
    private readonly Process _process;

    private TcpListenerProcess(Process process) => _process = process;

    public static async Task<TcpListenerProcess> StartAsync(string ns, int port)
    {
        Prerequisites.RequireProgram("nc");
        // "ip netns exec" execs nc in place: the pid we hold is nc's own.
        var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "nc", "-lk", port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        }) ?? throw new InvalidOperationException("could not start nc");
        var listener = new TcpListenerProcess(process);
        // Listening once ss shows the socket; polled, no fixed sleep.
        await Wait.UntilAsync(() => ListensAsync(ns, port), $"nc listening on {port} in {ns}");
        return listener;
    }

    private static async Task<bool> ListensAsync(string ns, int port)
    {
        var r = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ss", "-Hltn", $"sport = :{port}"], timeout: TimeSpan.FromSeconds(10));
        return r.ExitCode == 0 && r.StdOut.Contains($":{port}", StringComparison.Ordinal);
    }

    /// <summary>Whether a TCP connection from <paramref name="ns"/> (from <paramref name="source"/>) to the address and port completes within 2 s.</summary>
    public static async Task<bool> ConnectsAsync(string ns, string source, string destination, int port)
    {
        var r = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "nc", "-z", "-n", "-w", "2", "-s", source, destination, port.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(20));
        return r.ExitCode == 0;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
