using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.TestSupport;

namespace Appliance.Bench.Mesh;

/// <summary>
/// The external broker of the bench's <c>--broker mosquitto</c> mode: a Mosquitto started by the bench on a loopback
/// port of its own, with TLS from a throwaway CA and the dynamic-security plugin, which the server provisions through
/// an admin login (<c>Mqtt:Broker=mosquitto</c>, as server/Appliance.Broker/README.md configures it). Stopped by its
/// pid. Its CPU and RSS are read from /proc, so the server's figures are the server's own work.
/// </summary>
public sealed class BenchMosquitto : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TestCertificateAuthority _ca;
    // The last lines Mosquitto wrote (errors and warnings only), for a failure message.
    private readonly Queue<string> _log = new();

    private BenchMosquitto(string directory, int port, TestCertificateAuthority ca, Process process)
    {
        Directory = directory;
        Port = port;
        _ca = ca;
        _process = process;
    }

    public string Directory { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public string StateFile => Path.Combine(Directory, "dynamic-security.json");
    public const string AdminUser = "appliance-admin";
    public required string AdminPassword { get; init; }
    public string CaFile => Path.Combine(Directory, "ca.crt");

    /// <summary>The CA that signed Mosquitto's certificate: what the server's client and the agents trust.</summary>
    public X509Certificate2 Ca => _ca.Certificate;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>Writes the certificates and config into <paramref name="directory"/>, starts Mosquitto, waits until it listens.</summary>
    public static async Task<BenchMosquitto> StartAsync(string directory)
    {
        var exe = Prerequisites.RequireProgram("mosquitto");
        System.IO.Directory.CreateDirectory(directory);
        var port = Binaries.FreeTcpPort();
        var ca = new TestCertificateAuthority("Appliance Bench Broker CA");
        using (var cert = ca.IssueServerCertificate())
        {
            TestCertificateAuthority.WritePem(directory, ca.Certificate, cert);
        }
        var adminPassword = Guid.NewGuid().ToString("N");
        var plugin = await MosquittoProcess.DynamicSecurityConfigAsync(Path.Combine(directory, "dynamic-security.json"), AdminUser, adminPassword);
        var config = new StringBuilder();
        if (Environment.UserName == "root")
        {
            // Else Mosquitto drops to a user that cannot read the temp directory.
            config.Append("user root\n");
        }
        config.Append(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1\n")
            .Append(CultureInfo.InvariantCulture, $"cafile {Path.Combine(directory, "ca.crt")}\ncertfile {Path.Combine(directory, "server.crt")}\nkeyfile {Path.Combine(directory, "server.key")}\n")
            .Append("allow_anonymous false\npersistence false\nuse_username_as_clientid true\n")
            .Append(plugin)
            // No connection cap; Nagle off as our broker does (without it a fan-out stalls, docs/BENCHMARKS.md "MQTT broker").
            .Append("max_connections -1\nset_tcp_nodelay true\n")
            // A line per connect at N=20,000 would be the broker's own work, not the mesh's: errors and warnings only.
            .Append("log_dest stderr\nlog_type error\nlog_type warning\n");
        var configPath = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(configPath, config.ToString());
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(configPath);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start mosquitto");
        var broker = new BenchMosquitto(directory, port, ca, process) { AdminPassword = adminPassword };
        process.OutputDataReceived += (_, e) => broker.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await broker.WaitListeningAsync();
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
        return broker;
    }

    /// <summary>The server's environment for this broker: <c>Mqtt:Broker=mosquitto</c> and its <c>Mqtt:Mosquitto:*</c> keys.</summary>
    public Dictionary<string, string> ServerEnvironment() => new()
    {
        ["APPLIANCE_Mqtt__Broker"] = "mosquitto",
        ["APPLIANCE_Mqtt__Mosquitto__Url"] = $"mqtts://127.0.0.1:{Port}",
        ["APPLIANCE_Mqtt__Mosquitto__AdminUser"] = AdminUser,
        ["APPLIANCE_Mqtt__Mosquitto__AdminPassword"] = AdminPassword,
        ["APPLIANCE_Mqtt__Mosquitto__CaFile"] = CaFile,
        ["APPLIANCE_Mqtt__PublicUrl"] = $"mqtts://127.0.0.1:{Port}",
    };

    public double CpuSeconds() => ProcFigures.CpuSeconds(Pid);

    public (double Rss, double Peak) MemoryMb() => ProcFigures.MemoryMb(Pid);

    public ValueTask DisposeAsync()
    {
        // Only the process this bench started, by its pid.
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _ca.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 50)
            {
                _log.Dequeue();
            }
        }
    }

    private async Task WaitListeningAsync()
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"mosquitto did not listen on {Port} within 20 s:\n{Log}");
    }
}
