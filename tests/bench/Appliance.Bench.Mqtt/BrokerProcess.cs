using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Bench.Mqtt;

/// <summary>A broker under test in its own process: ours (this exe in host mode) or Mosquitto.</summary>
internal sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string? _configDir;

    private BrokerProcess(string name, Process process, int port, string? configDir)
    {
        Name = name;
        _process = process;
        Port = port;
        _configDir = configDir;
    }

    public string Name { get; }
    public int Port { get; }
    public int Pid => _process.Id;

    public static async Task<BrokerProcess> StartOursAsync(int port)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(BrokerProcess).Assembly.Location);
        psi.ArgumentList.Add("host");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var p = Process.Start(psi)!;
        var line = await p.StandardOutput.ReadLineAsync();
        if (line != "READY")
        {
            throw new InvalidOperationException("broker host did not start: " + line);
        }
        return new BrokerProcess("appliance", p, port, null);
    }

    public static async Task<BrokerProcess> StartMosquittoAsync(int port)
    {
        var dir = Directory.CreateTempSubdirectory("bench-mosquitto-").FullName;
        var conf = Path.Combine(dir, "mosquitto.conf");
        var user = Environment.UserName == "root" ? "user root\n" : "";
        await File.WriteAllTextAsync(conf, $"{user}listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\nset_tcp_nodelay true\n");
        var psi = new ProcessStartInfo("/usr/sbin/mosquitto") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var p = Process.Start(psi)!;
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return new BrokerProcess("mosquitto", p, port, dir);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        p.Kill();
        throw new InvalidOperationException("mosquitto did not start");
    }

    public void Dispose()
    {
        try
        {
            if (Name == "appliance")
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                }
            }
            else
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        if (_configDir is not null)
        {
            Directory.Delete(_configDir, true);
        }
    }
}
