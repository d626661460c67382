using System.Diagnostics;
using System.Net.Sockets;

namespace Appliance.WireGuard.Uapi;

/// <summary>Runs <c>wireguard-go -f IFACE</c> per interface and stops only the processes it started.</summary>
public sealed class WireGuardGoLauncher : IUserspaceLauncher
{
    private readonly WireGuardGoOptions _options;
    private readonly Dictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>For how long after exec the UAPI socket is looked for every 2 ms (then every 20 ms).</summary>
    private static readonly TimeSpan FinePollPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a stopped wireguard-go gets to exit on SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(3);

    public WireGuardGoLauncher(WireGuardGoOptions? options = null)
    {
        _options = options ?? new WireGuardGoOptions();
    }

    public async Task StartAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(_options.CommandPrefix.Count > 0 ? _options.CommandPrefix[0] : _options.Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in _options.CommandPrefix.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        if (_options.CommandPrefix.Count > 0)
        {
            psi.ArgumentList.Add(_options.Executable);
        }
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add(interfaceName);
        psi.Environment["LOG_LEVEL"] = _options.LogLevel;
        psi.Environment["WG_PROCESS_FOREGROUND"] = "1";

        var process = Process.Start(psi) ?? throw new WireGuardException($"could not start {_options.Executable}");
        // Its output is read for as long as it runs (a full pipe would block it), but only a bounded tail is kept: with
        // LOG_LEVEL=error it logs a line per failed handshake, and keeping all of it grew the agent's heap by ~4 KB/s
        // with 100 unreachable peers (docs/BENCHMARKS.md "Agent memory", issue #15).
        var output = new OutputTail();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_lock)
        {
            _processes[interfaceName] = process;
        }

        var socketPath = Path.Combine(_options.SocketDirectory, interfaceName + ".sock");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < _options.StartTimeout)
        {
            if (process.HasExited)
            {
                lock (_lock)
                {
                    _processes.Remove(interfaceName);
                }
                var log = output.ToString();
                throw new WireGuardException($"{_options.Executable} for '{interfaceName}' exited with {process.ExitCode}: {log.Trim()}");
            }
            if (File.Exists(socketPath) && CanConnect(socketPath))
            {
                return;
            }
            // wireguard-go opens its socket ~12 ms after exec: a 20 ms poll made the agent's first apply wait ~20 ms for
            // it (docs/BENCHMARKS.md "Start to first apply"); poll finely while it is due, then at a relaxed pace.
            await Task.Delay(deadline.Elapsed < FinePollPeriod ? 2 : 20, cancellationToken).ConfigureAwait(false);
        }
        await StopAsync(interfaceName, cancellationToken).ConfigureAwait(false);
        throw new TimeoutException($"{_options.Executable} for '{interfaceName}' did not open {socketPath} within {_options.StartTimeout}");
    }

    public async Task<bool> StopAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        Process? p;
        lock (_lock)
        {
            if (!_processes.Remove(interfaceName, out p))
            {
                return false;
            }
        }
        using (p)
        {
            if (!p.HasExited)
            {
                // SIGTERM lets wireguard-go close its TUN device and remove its UAPI socket; SIGKILL only after a grace period.
                _ = Interop.LibcSignal.kill(p.Id, Interop.LibcSignal.SIGTERM);
                using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                grace.CancelAfter(StopGracePeriod);
                try
                {
                    await p.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    p.Kill();
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
            }
        }
        return true;
    }

    private static bool CanConnect(string path)
    {
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        List<Process> all;
        lock (_lock)
        {
            all = [.. _processes.Values];
            _processes.Clear();
        }
        foreach (var p in all)
        {
            try
            {
                if (!p.HasExited)
                {
                    _ = Interop.LibcSignal.kill(p.Id, Interop.LibcSignal.SIGTERM);
                    if (!p.WaitForExit(StopGracePeriod))
                    {
                        p.Kill();
                        p.WaitForExit(5000);
                    }
                }
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
    }
}
