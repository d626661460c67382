using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;

namespace Appliance.TestSupport;

/// <summary>
/// A real <c>appliance-server serve</c> process (this build's appliance-server.dll) on a free port of a local address
/// (loopback unless told), with its own data dir and the settings it is given as APPLIANCE_* environment variables; killed by its own pid (SIGKILL) on
/// <see cref="Kill"/> and on dispose.
/// </summary>
public sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;
    private bool _killed;

    private ReplicaProcess(Process process, ProcessOutput output, string dataDir, string url)
    {
        (_process, _output, DataDir, Url) = (process, output, dataDir, url);
    }

    public string DataDir { get; }

    public string Url { get; }

    public int Pid => _process.Id;

    public string Log => _output.Text;

    public bool Exited => _process.HasExited;

    /// <summary>True from the moment <see cref="Kill"/> is called, before the process is seen gone: a request cut off
    /// by the kill can fail before <see cref="Exited"/> turns true.</summary>
    public bool Killed => Volatile.Read(ref _killed);

    /// <summary>Starts the server and waits until it answers /healthz (a failed start kills it and throws with its output).</summary>
    /// <param name="host">The local address it listens on (and puts in join tokens): one that agents in network namespaces can reach, say.</param>
    public static async Task<ReplicaProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> env, string host = "127.0.0.1")
    {
        var url = $"https://{host}:{Binaries.FreeTcpPort()}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Binaries.Server, "serve", "--data-dir", dataDir, "--urls", url })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start appliance-server");
        var replica = new ReplicaProcess(process, ProcessOutput.Capture(process), dataDir, url);
        try
        {
            using var http = replica.Client(null);
            await Wait.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"appliance-server exited {process.ExitCode} at start:\n{replica.Log}");
                }
                try
                {
                    return (await http.GetAsync("/healthz")).IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }, "appliance-server answers /healthz", TimeSpan.FromSeconds(90), () => replica.Log, TimeSpan.FromMilliseconds(200));
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }
        return replica;
    }

    /// <summary>A client of its API (its certificate is from the installation's CA; the test trusts it as is).</summary>
    public HttpClient Client(string? bearer)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        var http = new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return http;
    }

    public HttpClient Admin() => Client(File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim());

    /// <summary>Joins a node that is no process of its own (a fresh key pair unless <paramref name="publicKey"/> is given).</summary>
    public async Task<JoinResponse> JoinAsync(EnrollmentKeyDto key, string hostname, string? publicKey = null)
    {
        using var anon = Client(null);
        using var r = await anon.PostAsJsonAsync("/api/v1/join", new JoinRequest
        {
            Key = JoinToken.Decode(key.Token!).Key,
            PublicKey = publicKey ?? X25519.GenerateKeyPair().PublicKey.ToString(),
            Hostname = hostname,
            Endpoints = ["192.0.2.10"],
            Os = "test",
            Version = "0.0.1",
        });
        if (!r.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"join of {hostname} answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        }
        return (await r.Content.ReadFromJsonAsync<JoinResponse>())!;
    }

    /// <summary>
    /// A burst of <paramref name="count"/> joins, alternating between <paramref name="doomed"/> and <paramref name="survivor"/>
    /// (only the survivor once the doomed one is dead), and a SIGKILL of <paramref name="doomed"/> by its pid once
    /// <paramref name="killAfter"/> joins are acknowledged. Returns what <paramref name="join"/> returned for every
    /// acknowledged join (one the kill cut off is not acknowledged, so nothing is owed for it) and a clock started at the kill.
    /// </summary>
    public static async Task<(string[] Acknowledged, Stopwatch SinceKill)> JoinBurstKillingAsync(
        ReplicaProcess doomed, ReplicaProcess survivor, Func<ReplicaProcess, int, Task<string>> join, TimeSpan? timeout = null, int count = 30, int killAfter = 10)
    {
        var acknowledged = new List<string>();
        var burst = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var via = i % 2 == 0 || doomed.Killed ? survivor : doomed;
                try
                {
                    var id = await join(via, i);
                    lock (acknowledged)
                    {
                        acknowledged.Add(id);
                    }
                }
                catch (Exception e) when (via == doomed && doomed.Killed && e is HttpRequestException or TaskCanceledException)
                {
                    // Cut off by the kill: not acknowledged, so nothing is owed (it may still show up if it committed).
                }
            }
        });
        await Wait.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count >= killAfter; } }, $"{killAfter} joins of the burst are acknowledged", timeout);
        var sinceKill = Stopwatch.StartNew();
        doomed.Kill();
        await burst;
        lock (acknowledged)
        {
            return ([.. acknowledged], sinceKill);
        }
    }

    /// <summary>SIGKILL, by this process's own pid: no shutdown, no cleanup (its connections just drop).</summary>
    public void Kill()
    {
        Volatile.Write(ref _killed, true);
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
