using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// A real <c>appliance-server serve</c> process (this build's appliance-server.dll) on a loopback port, with its own
/// data dir and the settings it is given as APPLIANCE_* environment variables; killed by its own pid (SIGKILL) on
/// <see cref="Kill"/> and on dispose.
/// </summary>
public sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;

    private ReplicaProcess(Process process, ProcessOutput output, string dataDir, string url)
    {
        (_process, _output, DataDir, Url) = (process, output, dataDir, url);
    }

    public string DataDir { get; }

    public string Url { get; }

    public int Pid => _process.Id;

    public string Log => _output.Text;

    public bool Exited => _process.HasExited;

    /// <summary>Starts the server and waits until it answers /healthz (a failed start kills it and throws with its output).</summary>
    public static async Task<ReplicaProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> env)
    {
        var url = $"https://127.0.0.1:{Binaries.FreeTcpPort()}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "appliance-server.dll"), "serve", "--data-dir", dataDir, "--urls", url })
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

    public async Task<JoinResponse> JoinAsync(EnrollmentKeyDto key, string hostname)
    {
        using var anon = Client(null);
        using var r = await anon.PostAsJsonAsync("/api/v1/join", new JoinRequest
        {
            Key = JoinToken.Decode(key.Token!).Key,
            PublicKey = X25519.GenerateKeyPair().PublicKey.ToString(),
            Hostname = hostname,
            Endpoints = ["192.0.2.10"],
            Os = "test",
            Version = "0.0.1",
        });
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<JoinResponse>())!;
    }

    /// <summary>SIGKILL, by this process's own pid: no shutdown, no cleanup (its connections just drop).</summary>
    public void Kill()
    {
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
