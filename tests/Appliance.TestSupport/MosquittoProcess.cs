using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.TestSupport;

/// <summary>
/// A Mosquitto broker owned by one test: its own config file in a temp directory, an ephemeral loopback port,
/// killed on dispose. Never touches the system broker on 1883.
/// </summary>
public sealed class MosquittoProcess : IAsyncDisposable
{
    private readonly string _configPath;
    private readonly ProcessOutput _output = new();
    private Process? _process;

    private MosquittoProcess(string configPath, int port)
    {
        _configPath = configPath;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process?.Id ?? 0;

    public string Log => _output.Text;

    /// <summary>
    /// Writes <paramref name="configBody"/> (which must open a listener on <paramref name="port"/>) to a config file
    /// in <paramref name="directory"/> and starts mosquitto on it, waiting until the port accepts connections.
    /// </summary>
    public static async Task<MosquittoProcess> StartAsync(string directory, int port, string configBody)
    {
        var path = Path.Combine(directory, $"mosquitto-{port}.conf");
        // Tests run as root in CI; mosquitto would otherwise switch to a user that cannot read the temp directory.
        var prefix = Environment.UserName == "root" ? "user root\n" : "";
        await File.WriteAllTextAsync(path, prefix + configBody).ConfigureAwait(false);
        var m = new MosquittoProcess(path, port);
        try
        {
            await m.StartProcessAsync().ConfigureAwait(false);
        }
        catch
        {
            // Never leave a half-started broker behind: the caller gets no object to dispose.
            await m.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return m;
    }

    /// <summary>
    /// The dynamic-security plugin Debian's mosquitto package ships (under /usr/lib/&lt;triplet&gt;/); a missing
    /// plugin fails the test, naming the package.
    /// </summary>
    public static string DynamicSecurityPlugin()
    {
        var found = Directory.EnumerateDirectories("/usr/lib")
            .Select(d => Path.Combine(d, "mosquitto_dynamic_security.so"))
            .Append("/usr/lib/mosquitto_dynamic_security.so")
            .FirstOrDefault(File.Exists);
        return found ?? throw new InvalidOperationException("mosquitto_dynamic_security.so not found under /usr/lib: install the 'mosquitto' package (scripts/install-test-deps.sh)");
    }

    /// <summary>
    /// Writes a new dynamic-security state file with one admin login (<c>mosquitto_ctrl dynsec init</c>), and the
    /// config lines that load the plugin with it.
    /// </summary>
    public static async Task<string> DynamicSecurityConfigAsync(string stateFile, string adminUser, string adminPassword)
    {
        var ctrl = Prerequisites.RequireProgram("mosquitto_ctrl");
        var result = await ProcessRunner.RunAsync(ctrl, ["dynsec", "init", stateFile, adminUser, adminPassword], timeout: TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (!File.Exists(stateFile))
        {
            throw new InvalidOperationException($"mosquitto_ctrl dynsec init did not write {stateFile}: {result}");
        }
        return $"plugin {DynamicSecurityPlugin()}\nplugin_opt_config_file {stateFile}\n";
    }

    /// <summary>Kills the broker (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(5000);
        }
    }

    public async Task RestartAsync()
    {
        Kill();
        _process?.Dispose();
        await StartProcessAsync().ConfigureAwait(false);
    }

    /// <summary>Sends SIGHUP so mosquitto reloads its password and ACL files.</summary>
    public async Task ReloadAsync()
    {
        await ProcessRunner.RunAsync("kill", ["-HUP", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task StartProcessAsync()
    {
        var exe = Prerequisites.RequireProgram("mosquitto");
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_configPath);
        psi.ArgumentList.Add("-v");
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start mosquitto");
        _output.Attach(p);
        _process = p;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {p.ExitCode}:\n{Log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
        throw new TimeoutException($"mosquitto did not listen on {Port} within 10 s:\n{Log}");
    }
}
