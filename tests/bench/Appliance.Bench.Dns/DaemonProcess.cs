using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Bench.Dns;

/// <summary>A DNS server process under test (appliance-dns or dnsmasq) on 127.0.0.1, killed on dispose.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _log = new();

    private DaemonProcess(Process p, int port, string name)
    {
        _p = p;
        Port = port;
        Name = name;
    }

    public int Port { get; }

    public string Name { get; }

    public int Pid => _p.Id;

    public static async Task<DaemonProcess> StartOursAsync(int port, string hosts, params string[] extra)
    {
        var dll = RepoPaths.Combine("gateway", "Appliance.Dns.Cli", "bin", "Release", "net10.0", "appliance-dns.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"build gateway/Appliance.Dns.Cli -c Release first: {dll}");
        }
        // BENCH_DNS_UDP_BATCH=N runs ours with --udp-batch N (1 = one recvfrom/sendto per query, to see what batching brings).
        string[] batch = Environment.GetEnvironmentVariable("BENCH_DNS_UDP_BATCH") is { Length: > 0 } b ? ["--udp-batch", b] : [];
        return await StartAsync("appliance-dns", "dotnet", [dll, "--listen", $"127.0.0.1:{port}", "--hosts", hosts, .. batch, .. extra], port);
    }

    public static Task<DaemonProcess> StartDnsmasqAsync(string dir, int port, string hosts, params string[] extra) =>
        StartAsync("dnsmasq", "dnsmasq",
        [
            "--keep-in-foreground", "--conf-file=/dev/null", $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", $"--addn-hosts={hosts}", $"--pid-file={Path.Combine(dir, $"dnsmasq-{port}.pid")}",
            "--user=" + Environment.UserName, "--cache-size=10000", "--log-facility=-", .. extra,
        ], port);

    /// <summary>Resident set size from /proc (kB → MB).</summary>
    public double RssMb()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return double.NaN;
    }

    /// <summary>User + system CPU seconds used so far (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                _p.Kill(entireProcessTree: true);
                _p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _p.Dispose();
    }

    private static async Task<DaemonProcess> StartAsync(string name, string exe, string[] args, int port)
    {
        var psi = new ProcessStartInfo(Pinning.Program(exe, Pinning.ServerCpu)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in Pinning.Arguments(exe, args, Pinning.ServerCpu))
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var d = new DaemonProcess(p, port, name);
        p.OutputDataReceived += (_, e) => d.Append(e.Data);
        p.ErrorDataReceived += (_, e) => d.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var query = new DnsMessage { Id = 1 };
        query.Questions.Add(new DnsQuestion("ready.invalid", DnsRecordType.A));
        var bytes = query.ToArray();
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"{name} exited: {d._log}");
            }
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Connect(IPAddress.Loopback, port);
            s.Send(bytes);
            var buf = new byte[512];
            using var cts = new CancellationTokenSource(200);
            try
            {
                await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                return d;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                await Task.Delay(50);
            }
        }
        d.Dispose();
        throw new TimeoutException($"{name} did not answer on {port}: {d._log}");
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
