using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Appliance.Agent.State;
using Appliance.Bench.Mesh;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;

// appliance mesh-sync benchmark (issue #5): N simulated agents in this process — the real MQTT client, the agent's
// signature/replay gate, delta apply and WireGuard reconciler against an in-memory device — against the real server
// process and its embedded broker on loopback. Prints one JSON line per figure.
//   dotnet Appliance.Bench.Mesh.dll [N ...] [--changes K] [--no-reconcile]
// With --compute: the server's computation per change alone, in this process (no server, bus or agents).
//   dotnet Appliance.Bench.Mesh.dll --compute [N ...] [--changes K]
var sizes = args.Where((a, i) => int.TryParse(a, out _) && (i == 0 || args[i - 1] != "--changes")).Select(int.Parse).DefaultIfEmpty(100).ToList();
var changes = args.SkipWhile(a => a != "--changes").Skip(1).Select(int.Parse).FirstOrDefault(20);
var reconcile = !args.Contains("--no-reconcile");
// With --policy: evaluating an access policy of R rules (default 200) for every one of N nodes, and a policy or tag
// change through the view (issue #19).
//   dotnet Appliance.Bench.Mesh.dll --policy [N ...] [--rules R]
if (args.Contains("--policy"))
{
    var rules = args.SkipWhile(a => a != "--rules").Skip(1).Select(int.Parse).FirstOrDefault(200);
    foreach (var n in args.Where((a, i) => int.TryParse(a, out _) && i > 0 && args[i - 1] is not "--changes" and not "--rules").Select(int.Parse).DefaultIfEmpty(1000))
    {
        PolicyBench.Run(n, rules, rounds: 20);
    }
    return 0;
}
if (args.Contains("--compute"))
{
    foreach (var n in sizes)
    {
        ComputeBench.Run(n, Math.Max(changes, 100));
    }
    return 0;
}
foreach (var n in sizes)
{
    await RunAsync(n, changes, reconcile);
}
return 0;

static void Emit(object figure) => Console.WriteLine(JsonSerializer.Serialize(figure));

static double Pct(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

static async Task RunAsync(int n, int changes, bool reconcile)
{
    using var dir = new TempDirectory("appliance-bench-mesh");
    await using var server = new ServerUnderTest(dir.Path);
    using var http = await WaitForServerAsync(server);
    var admin = (await File.ReadAllTextAsync(Path.Combine(dir.Path, "admin.token"))).Trim();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
    (await http.PostAsJsonAsync("api/v1/networks", new CreateNetworkRequest { Name = "bench", Ipv4Cidr = "10.64.0.0/16" })).EnsureSuccessStatusCode();
    var keyResponse = await http.PostAsJsonAsync("api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["bench"] });
    var token = JoinToken.Decode((await keyResponse.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!.Token!);
    using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(dir.Path, "ca.crt")));

    // Register all N: joins per second with 16 in flight.
    var joinCpu = server.CpuSeconds();
    var joinWatch = Stopwatch.StartNew();
    var states = new AgentState[n];
    await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        states[i] = await JoinAsync(http, token.Key, $"sim{i}", ca, ct));
    var joinSeconds = joinWatch.Elapsed.TotalSeconds;
    Emit(new
    {
        bench = "mesh/joins-per-second", n, joins = n, seconds = Math.Round(joinSeconds, 2), joins_per_s = Math.Round(n / joinSeconds, 1), goal = ">= 200",
        server_cpu_ms_per_join = Math.Round((server.CpuSeconds() - joinCpu) * 1000 / n, 2), server_rss_mb_before_agents_connect = Math.Round(server.MemoryMb().Rss, 1),
    });

    // Connect every agent and let each take its snapshot.
    var agents = states.Select(s => new SimulatedAgent(s, ca, server.MqttPort, reconcile)).ToList();
    using var stop = new CancellationTokenSource();
    var retriesBefore = Interlocked.Read(ref SimulatedAgent.ConnectRetries);
    var syncCpu = server.CpuSeconds();
    var connectWatch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (a, ct) => await a.StartAsync(stop.Token));
    await WaitUntilAsync(() => agents.All(a => a.Config is { } c && c.Peers.Count == n - 1), TimeSpan.FromMinutes(Math.Max(5, n / 500)), "every agent's snapshot");
    var (syncedRss, syncedPeak) = server.MemoryMb();
    Emit(new
    {
        bench = "mesh/initial-sync", n, seconds = Math.Round(connectWatch.Elapsed.TotalSeconds, 2), snapshot_bytes_total = agents.Sum(a => a.BytesReceived),
        server_cpu_s = Math.Round(server.CpuSeconds() - syncCpu, 1), server_rss_mb = Math.Round(syncedRss, 1), server_peak_rss_mb = Math.Round(syncedPeak, 1),
        connect_retries = Interlocked.Read(ref SimulatedAgent.ConnectRetries) - retriesBefore,
    });

    // K changes: one node added through the API each time; latency until every agent has applied it.
    var latencies = new List<double>();
    var bytesPerChange = new List<long>();
    var cpuBefore = server.CpuSeconds();
    for (var k = 0; k < changes; k++)
    {
        var bytesBefore = agents.Sum(a => a.BytesReceived);
        var pending = new System.Collections.Concurrent.ConcurrentDictionary<SimulatedAgent, double>();
        var name = $"change{k}";
        var started = Stopwatch.StartNew();
        var done = new TaskCompletionSource();
        foreach (var a in agents)
        {
            a.Applied = (agent, config) =>
            {
                if (PeerPool.HasPeerNamed(config, name) && pending.TryAdd(agent, started.Elapsed.TotalMilliseconds) && pending.Count == agents.Count)
                {
                    done.TrySetResult();
                }
            };
        }
        var extra = await JoinAsync(http, token.Key, name, ca, CancellationToken.None);
        if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(60))) != done.Task)
        {
            throw new TimeoutException($"change {k}: only {pending.Count} of {agents.Count} agents applied it within 60 s");
        }
        latencies.AddRange(pending.Values);
        await Task.Delay(200); // let stragglers' byte counts settle
        bytesPerChange.Add(agents.Sum(a => a.BytesReceived) - bytesBefore);
        agents.ForEach(a => a.Applied = null);
        _ = extra;
    }
    var cpu = server.CpuSeconds() - cpuBefore;
    latencies.Sort();
    var (rss, peak) = server.MemoryMb();
    var goalP99 = n <= 1000 ? "<= 1000 ms" : "<= 3000 ms";
    Emit(new
    {
        bench = "mesh/one-node-added",
        n,
        changes,
        reconcile,
        p50_ms = Math.Round(Pct(latencies, 50), 1),
        p99_ms = Math.Round(Pct(latencies, 99), 1),
        max_ms = Math.Round(latencies[^1], 1),
        goal_p99 = goalP99,
        bytes_per_change = (long)bytesPerChange.Average(),
        bytes_per_change_per_node = Math.Round(bytesPerChange.Average() / n, 1),
        server_cpu_s_per_change = Math.Round(cpu / changes, 3),
    });
    var (anon, fileAndShared) = server.MemorySplitMb();
    Emit(new
    {
        bench = "mesh/server-memory", n, rss_mb = Math.Round(rss, 1), peak_rss_mb = Math.Round(peak, 1), goal = n >= 5000 ? "<= 300 MB" : "-",
        rss_anon_mb = Math.Round(anon, 1), rss_file_and_shmem_mb = Math.Round(fileAndShared, 1),
    });
    // The same N agents stay connected and nothing changes for 40 s (the broker gives memory back once it is quiet).
    await Task.Delay(TimeSpan.FromSeconds(40));
    var (idleRss, idlePeak) = server.MemoryMb();
    var (idleAnon, idleFile) = server.MemorySplitMb();
    Emit(new
    {
        bench = "mesh/server-memory-idle", n, connected = agents.Count, idle_s = 40, rss_mb = Math.Round(idleRss, 1), peak_rss_mb = Math.Round(idlePeak, 1),
        goal = n >= 5000 ? "<= 300 MB" : "-", rss_anon_mb = Math.Round(idleAnon, 1), rss_file_and_shmem_mb = Math.Round(idleFile, 1),
    });
    await stop.CancelAsync();
    foreach (var a in agents)
    {
        await a.StopAsync();
    }
}

static async Task<AgentState> JoinAsync(HttpClient http, string key, string hostname, X509Certificate2 ca, CancellationToken ct)
{
    var keys = X25519.GenerateKeyPair();
    using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/join")
    {
        Content = JsonContent.Create(new JoinRequest { Key = key, PublicKey = keys.PublicKey.ToString(), Hostname = hostname, Endpoints = ["127.0.0.1"] }),
    };
    request.Headers.Authorization = null;
    using var response = await http.SendAsync(request, ct);
    response.EnsureSuccessStatusCode();
    var joined = (await response.Content.ReadFromJsonAsync<JoinResponse>(ct))!;
    return new AgentState
    {
        Server = http.BaseAddress!.ToString(), NodeId = joined.NodeId, Name = joined.Name, Credential = joined.Credential,
        PrivateKey = keys.PrivateKey.ToString(), PublicKey = keys.PublicKey.ToString(), Interface = "sim",
        Network = joined.Network, ListenPort = joined.ListenPort, MqttUrl = joined.MqttUrl, SigningKey = joined.SigningKey,
        CaPem = ca.ExportCertificatePem(),
    };
}

static async Task<HttpClient> WaitForServerAsync(ServerUnderTest server)
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        var caPath = Path.Combine(server.DataDir, "ca.crt");
        if (File.Exists(caPath))
        {
            var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caPath));
            var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 32 };
            handler.SslOptions.RemoteCertificateValidationCallback = CertificatePin.Callback(ca);
            var http = new HttpClient(handler) { BaseAddress = new Uri(server.Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
            try
            {
                if ((await http.GetAsync("healthz")).IsSuccessStatusCode)
                {
                    return http;
                }
            }
            catch (HttpRequestException)
            {
            }
            http.Dispose();
        }
        await Task.Delay(200);
    }
    throw new TimeoutException("the server did not start");
}

static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
{
    var watch = Stopwatch.StartNew();
    while (!condition())
    {
        if (watch.Elapsed > timeout)
        {
            throw new TimeoutException("timed out waiting for " + what);
        }
        await Task.Delay(50);
    }
}
