using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Appliance.TestSupport;

/// <summary>
/// A DNS server process (dnsmasq, unbound, our appliance-dns) in the foreground on 127.0.0.1 for one test or
/// benchmark run: started (optionally pinned to a CPU through taskset), ready once it answers a UDP query, its
/// output kept for error messages, killed on dispose. Never touches system services or /etc/resolv.conf.
/// </summary>
public sealed class DnsProcess : IDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;

    private DnsProcess(Process process, string name, int port)
    {
        _process = process;
        _output = ProcessOutput.Capture(process);
        Name = name;
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public string Name { get; }

    public IPEndPoint Endpoint { get; }

    public int Port => Endpoint.Port;

    public int Pid => _process.Id;

    public string Log => _output.Text;

    /// <summary>
    /// The built standalone server (gateway/Appliance.Dns.Cli), run with <c>dotnet</c>: the copy beside the running
    /// assembly when the project references it, else the Cli's Release build.
    /// </summary>
    public static string OurDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "appliance-dns.dll");
        if (File.Exists(beside))
        {
            return beside;
        }
        var dll = RepoPaths.Combine("gateway", "Appliance.Dns.Cli", "bin", "Release", "net10.0", "appliance-dns.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build gateway/Appliance.Dns.Cli -c Release first: {dll}");
    }

    /// <summary>Our appliance-dns with <paramref name="args"/> (which must make it listen on 127.0.0.1:<paramref name="port"/>).</summary>
    public static Task<DnsProcess> OursAsync(int port, IEnumerable<string> args, int? cpu = null) =>
        StartAsync("appliance-dns", "dotnet", [OurDll(), .. args], port, cpu);

    /// <summary>dnsmasq on 127.0.0.1:<paramref name="port"/> serving <paramref name="hostsFile"/> with a 10,000-entry cache, forwarding nothing unless <paramref name="extra"/> says so.</summary>
    public static Task<DnsProcess> DnsmasqAsync(string dir, int port, string hostsFile, IEnumerable<string> extra, int? cpu = null) =>
        StartAsync("dnsmasq", Prerequisites.RequireProgram("dnsmasq"),
        [
            "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", $"--port={port}", "--listen-address=127.0.0.1",
            "--bind-interfaces", "--no-resolv", "--no-hosts", $"--addn-hosts={hostsFile}", $"--pid-file={Path.Combine(dir, $"dnsmasq-{port}.pid")}",
            "--user=" + Environment.UserName, "--cache-size=10000", .. extra,
        ], port, cpu);

    /// <summary>Starts <paramref name="exe"/> and waits until it answers on 127.0.0.1:<paramref name="port"/> (any answer, even REFUSED).</summary>
    public static async Task<DnsProcess> StartAsync(string name, string exe, IEnumerable<string> args, int port, int? cpu = null)
    {
        var psi = new ProcessStartInfo(cpu is null ? exe : Prerequisites.RequireProgram("taskset"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpu is { } c)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(c.ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add(exe);
        }
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var d = new DnsProcess(p, name, port);
        try
        {
            await d.WaitReadyAsync(TimeSpan.FromSeconds(20));
        }
        catch
        {
            d.Dispose();
            throw;
        }
        return d;
    }

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

    // "ready.invalid A IN", ID 1, RD: built by hand so this project needs no DNS codec.
    private static readonly byte[] Probe =
    [
        0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        5, (byte)'r', (byte)'e', (byte)'a', (byte)'d', (byte)'y', 7, (byte)'i', (byte)'n', (byte)'v', (byte)'a', (byte)'l', (byte)'i', (byte)'d', 0,
        0x00, 0x01, 0x00, 0x01,
    ];

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var buffer = new byte[512];
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Log}");
            }
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                await s.ConnectAsync(Endpoint);
                await s.SendAsync(Probe);
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"{Name} did not answer on {Endpoint} within {timeout.TotalSeconds:F0} s:\n{Log}");
    }
}
