using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// A third-party DNS daemon (dnsmasq, unbound) run in the foreground on loopback for one test, with its own config
/// in a temp directory; killed on dispose. Never touches system services or /etc/resolv.conf.
/// </summary>
internal sealed class DnsDaemon : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private DnsDaemon(Process process, IPEndPoint endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public IPEndPoint Endpoint { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>dnsmasq serving <paramref name="hostsFile"/>, forwarding nothing unless <paramref name="extraArgs"/> says so.</summary>
    public static Task<DnsDaemon> DnsmasqAsync(string dir, string hostsFile, params string[] extraArgs)
    {
        var port = Binaries.FreeUdpTcpPort();
        string[] args =
        [
            "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", $"--port={port}", "--listen-address=127.0.0.1",
            "--bind-interfaces", "--no-resolv", "--no-hosts", $"--addn-hosts={hostsFile}", $"--pid-file={Path.Combine(dir, $"dnsmasq-{port}.pid")}",
            "--user=" + Environment.UserName, "--cache-size=10000", .. extraArgs,
        ];
        return StartAsync(Prerequisites.RequireProgram("dnsmasq"), args, port);
    }

    /// <summary>unbound forwarding <paramref name="zone"/> to <paramref name="target"/>.</summary>
    public static async Task<DnsDaemon> UnboundAsync(string dir, string zone, IPEndPoint target)
    {
        var port = Binaries.FreeUdpTcpPort();
        var conf = Path.Combine(dir, $"unbound-{port}.conf");
        await File.WriteAllTextAsync(conf, $"""
            server:
              interface: 127.0.0.1
              port: {port}
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{dir}"
              pidfile: ""
              use-syslog: no
              logfile: ""
              verbosity: 1
              do-not-query-localhost: no
              access-control: 127.0.0.0/8 allow
              module-config: "iterator"
              domain-insecure: "{zone}"
              local-zone: "{zone}." nodefault
            forward-zone:
              name: "{zone}"
              forward-addr: {target.Address}@{target.Port}
            """);
        return await StartAsync(Prerequisites.RequireProgram("unbound"), ["-d", "-c", conf], port);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private static async Task<DnsDaemon> StartAsync(string exe, string[] args, int port)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var d = new DnsDaemon(p, new IPEndPoint(IPAddress.Loopback, port));
        p.OutputDataReceived += (_, e) => d.Append(e.Data);
        p.ErrorDataReceived += (_, e) => d.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            await d.WaitReadyAsync(exe);
        }
        catch
        {
            d.Dispose();
            throw;
        }
        return d;
    }

    private async Task WaitReadyAsync(string exe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{exe} exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                // Any answer (even REFUSED) means it is listening.
                await DnsTestClient.UdpRawAsync(Endpoint, DnsTestClient.Query("ready.invalid", DnsRecordType.A), TimeSpan.FromMilliseconds(300));
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"{exe} did not answer on {Endpoint} within 15 s:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
