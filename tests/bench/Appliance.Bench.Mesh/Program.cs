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
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;

// appliance mesh-sync benchmark (issue #5): N simulated agents in this process — the real MQTT client, the agent's
// signature/replay gate, delta apply and WireGuard reconciler against an in-memory device — against the real server
// process and its embedded broker on loopback. Prints one JSON line per figure.
//   dotnet Appliance.Bench.Mesh.dll [N ...] [--changes K] [--warm W] [--no-reconcile] [--per-node] [--prime] [--no-idle] [--broker embedded|mosquitto] [--connected K]
// --per-node: the server sends every change to each member on its own topic (Mesh:PerNodeUpdates, main's way) instead
// of once on the network's shared topic. --prime: two agents take real snapshots, the others start from that state
// (see Prime below) instead of N snapshots of N peers (~96 GB at N=20,000). --no-idle: skip the 40 s idle figure.
// --broker mosquitto: the server runs with Mqtt:Broker=mosquitto against a Mosquitto the bench starts on loopback
// (TLS, stopped by its pid), so the server's CPU is its own work and the broker's fan-out is reported on its own line.
// --replicas (issue #20): two server processes on one PostgreSQL (a throwaway cluster the bench starts) and a
// three-node RabbitMQ cluster (started by the bench, stopped by its pids); joins and changes go to the two replicas
// alternately, agents connect to the three broker nodes in turn (plain MQTT on loopback). Without it: one server on
// SQLite. Run both back to back for a side-by-side figure (docs/BENCHMARKS.md, "#20").
// --connected K: all N nodes join through the API (so the store, the mesh and an external broker's accounts hold N), but
// only the first K become connected agents that measure propagation: the server's CPU per change and RSS at N beyond
// the open-files limit (one socket per connected agent). With the embedded broker the fan-out is then to K, not N.
// Each run prints the server's per-stage counters per change (mesh/change-stage, one line per stage; issue #14).
// With --compute: the server's computation per change alone, in this process (no server, bus or agents).
//   dotnet Appliance.Bench.Mesh.dll --compute [N ...] [--changes K]
var sizes = args.Where((a, i) => int.TryParse(a, out _) && (i == 0 || args[i - 1] is not "--changes" and not "--connected" and not "--warm")).Select(int.Parse).DefaultIfEmpty(100).ToList();
var changes = args.SkipWhile(a => a != "--changes").Skip(1).Select(int.Parse).FirstOrDefault(20);
var reconcile = !args.Contains("--no-reconcile");
var perNode = args.Contains("--per-node");
var prime = args.Contains("--prime");
var idle = !args.Contains("--no-idle");
var broker = args.SkipWhile(a => a != "--broker").Skip(1).FirstOrDefault("embedded");
var connectedArg = args.SkipWhile(a => a != "--connected").Skip(1).Select(int.Parse).FirstOrDefault(0);
// --warm W: W changes before the measured ones, not measured: the change path's methods are called once a change, and
// the JIT moves a method to its optimized tier after 30 calls, so the first changes also pay for compiling it.
var warmChanges = args.SkipWhile(a => a != "--warm").Skip(1).Select(int.Parse).FirstOrDefault(40);
if (broker is not "embedded" and not "mosquitto")
{
    Console.Error.WriteLine($"--broker must be 'embedded' or 'mosquitto', not '{broker}'");
    return 2;
}
var replicas = args.Contains("--replicas");
if (replicas && args.Contains("--broker"))
{
    Console.Error.WriteLine("--replicas runs its own RabbitMQ cluster: leave out --broker");
    return 2;
}
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
    // One connection per agent in this process, and one per agent in the broker's (the server's, embedded): fail
    // now, naming the limit, rather than minutes later in a connect.
    var connected = connectedArg > 0 ? Math.Min(connectedArg, n) : n;
    if (connected < 3)
    {
        Console.Error.WriteLine("--connected needs at least 3 agents (two representatives and one more)");
        return 2;
    }
    var openFiles = ProcFigures.OpenFilesLimit();
    if (openFiles < connected + 256)
    {
        Console.Error.WriteLine($"N={n} with {connected} connected needs about {connected + 256} open files in this process and in the broker's ({(broker == "embedded" ? "the server" : "mosquitto")}), " +
            $"one per agent connection plus ~256, but the limit (ulimit -n) is {openFiles}: raise it, or run a smaller N");
        return 3;
    }
    await RunAsync(n, connected, changes, reconcile, perNode, prime, idle, broker == "mosquitto", replicas, warmChanges);
}
return 0;

// The machine's 1-minute load average now (this bench's figures are only comparable at similar loads).
static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

// Issue #5: <= 300 MB at N=5000; issue #14: <= 600 MB at N=20,000 (from N=10,000 on, the nearer goal).
static string MemoryGoal(int n) => n >= 10_000 ? "<= 600 MB" : n >= 5000 ? "<= 300 MB" : "-";

static void Emit(object figure) => Console.WriteLine(JsonSerializer.Serialize(figure));

static double Pct(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

static async Task RunAsync(int n, int connected, int changes, bool reconcile, bool perNode, bool prime, bool idle, bool mosquittoBroker, bool replicas, int warmChanges)
{
    using var dir = new TempDirectory("appliance-bench-mesh");
    await using var mosquitto = mosquittoBroker ? await BenchMosquitto.StartAsync(Path.Combine(dir.Path, "mosquitto")) : null;
    await using var rabbit = replicas ? await RabbitMqCluster.StartAsync(3) : null;
    var external = mosquitto is not null || rabbit is not null;
    var environment = mosquitto?.ServerEnvironment() ?? (rabbit is null ? [] : ReplicaEnvironment(rabbit));
    if (perNode)
    {
        environment["APPLIANCE_Mesh__PerNodeUpdates"] = "true";
    }
    await using var server = new ServerUnderTest(Path.Combine(dir.Path, "server"), environment);
    var mode = perNode ? "per-node" : "shared-topic";
    var store = replicas ? "postgres, 2 replicas" : "sqlite";
    // With the embedded broker its fan-out is in the server's CPU; with Mosquitto or RabbitMQ it is theirs, read apart.
    var brokerName = mosquitto is not null ? "mosquitto" : rabbit is not null ? "rabbitmq, 3 nodes" : "embedded";
    double BrokerCpu() => mosquitto?.CpuSeconds() ?? rabbit?.Nodes.Sum(b => ProcFigures.CpuSeconds(b.VmPid)) ?? 0;
    using var http = await WaitForServerAsync(server);
    var admin = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "admin.token"))).Trim();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
    // The second replica shares the first's broker login and admin token (DEPLOYMENT.md); the rest is in the database.
    ServerUnderTest? second = null;
    HttpClient? http2 = null;
    if (replicas)
    {
        var dir2 = Path.Combine(dir.Path, "server2");
        Directory.CreateDirectory(dir2);
        foreach (var file in new[] { "rabbitmq-server.secret", "admin.token" })
        {
            File.Copy(Path.Combine(server.DataDir, file), Path.Combine(dir2, file));
        }
        second = new ServerUnderTest(dir2, environment);
        http2 = await WaitForServerAsync(second);
        http2.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
    }
    await using var secondOwned = second;
    using var http2Owned = http2;
    HttpClient[] apis = http2 is null ? [http] : [http, http2];
    double ServersCpu() => server.CpuSeconds() + (second?.CpuSeconds() ?? 0);
    (await http.PostAsJsonAsync("api/v1/networks", new CreateNetworkRequest { Name = "bench", Ipv4Cidr = "10.64.0.0/16" })).EnsureSuccessStatusCode();
    var keyResponse = await http.PostAsJsonAsync("api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["bench"] });
    var token = JoinToken.Decode((await keyResponse.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!.Token!);
    using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "ca.crt")));

    // Register all N: joins per second with 16 in flight.
    var joinCpu = ServersCpu();
    var joinBrokerCpu = BrokerCpu();
    var joinWatch = Stopwatch.StartNew();
    var states = new AgentState[n];
    await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        states[i] = await JoinAsync(apis[i % apis.Length], token.Key, $"sim{i}", ca, ct));
    var joinSeconds = joinWatch.Elapsed.TotalSeconds;
    Emit(new
    {
        bench = "mesh/joins-per-second", n, store, broker = brokerName, joins = n, seconds = Math.Round(joinSeconds, 2), joins_per_s = Math.Round(n / joinSeconds, 1), goal = ">= 200",
        server_cpu_ms_per_join = Math.Round((ServersCpu() - joinCpu) * 1000 / n, 2), server_rss_mb_before_agents_connect = Math.Round(server.MemoryMb().Rss, 1),
        broker_cpu_ms_per_join = external ? Math.Round((BrokerCpu() - joinBrokerCpu) * 1000 / n, 2) : (double?)null,
    });

    // Connect every agent and let each take its snapshot.
    // With the RabbitMQ cluster the agents are spread over its nodes, as a load balancer in front of it would.
    var agents = states.Take(connected).Select((s, i) => rabbit is null
        ? new SimulatedAgent(s, mosquitto?.Ca ?? ca, mosquitto?.Port ?? server.MqttPort, reconcile)
        : new SimulatedAgent(s, null, rabbit.Nodes[i % rabbit.Nodes.Count].MqttPort, reconcile)).ToList();
    using var stop = new CancellationTokenSource();
    var retriesBefore = Interlocked.Read(ref SimulatedAgent.ConnectRetries);
    var syncCpu = ServersCpu();
    var syncBrokerCpu = BrokerCpu();
    var connectWatch = Stopwatch.StartNew();
    if (prime)
    {
        await PrimeAsync(http, agents, states, n, stop.Token);
    }
    else
    {
        await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (a, ct) => await a.StartAsync(stop.Token));
        await WaitUntilAsync(() => agents.All(a => a.Config is { } c && c.Peers.Count == n - 1), TimeSpan.FromMinutes(Math.Max(5, n / 500)), "every agent's snapshot");
    }
    var (syncedRss, syncedPeak) = server.MemoryMb();
    Emit(new
    {
        bench = prime ? "mesh/initial-sync-primed" : "mesh/initial-sync", n, connected, mode, broker = brokerName, seconds = Math.Round(connectWatch.Elapsed.TotalSeconds, 2), snapshot_bytes_total = agents.Sum(a => a.BytesReceived),
        server_cpu_s = Math.Round(ServersCpu() - syncCpu, 1), server_rss_mb = Math.Round(syncedRss, 1), server_peak_rss_mb = Math.Round(syncedPeak, 1),
        connect_retries = Interlocked.Read(ref SimulatedAgent.ConnectRetries) - retriesBefore,
        broker_cpu_s = external ? Math.Round(BrokerCpu() - syncBrokerCpu, 1) : (double?)null,
    });

    // K changes: one node added through the API each time; latency until every agent has applied it. Primed, one
    // change first that is not measured: every agent's resync (naming the version it holds) is then surely handled.
    var latencies = new List<double>();
    if (prime)
    {
        var warm = await ChangeAsync(http, token.Key, ca, agents, "warmup", TimeSpan.FromMinutes(10));
        Emit(new { bench = "mesh/primed-warm-up", n, mode, broker = brokerName, all_applied_ms = Math.Round(warm.Max(), 1) });
    }
    var warmWatch = Stopwatch.StartNew();
    // Paced as the measured ones, then a pause: the runtime starts counting calls only once no new method has been
    // compiled for 100 ms, and compiles the optimized tier on a background thread afterwards. Unpaced, the warm-up
    // ran in a fraction of a second and that compilation (~1.7 s of CPU at N=1000, perf) fell into the measured window.
    for (var k = 0; k < warmChanges; k++)
    {
        await ChangeAsync(apis[k % apis.Length], token.Key, ca, agents, $"warm{k}", TimeSpan.FromSeconds(60));
        await Task.Delay(200);
    }
    if (warmChanges > 0)
    {
        await Task.Delay(TimeSpan.FromSeconds(3));
        Emit(new { bench = "mesh/warm-changes", n, changes = warmChanges, seconds = Math.Round(warmWatch.Elapsed.TotalSeconds, 1) });
    }
    var bytesPerChange = new List<long>();
    // The per-stage counters (issue #14), read outside the CPU window: a scrape reads every node.
    var stagesBefore = await StageFigures.ReadAsync(apis);
    var cpuBefore = ServersCpu();
    var brokerCpuBefore = BrokerCpu();
    // The agents run in this process, on the same cores: what they spend per change is CPU the server cannot have.
    var agentsCpuBefore = ProcFigures.CpuSeconds(Environment.ProcessId);
    for (var k = 0; k < changes; k++)
    {
        var bytesBefore = agents.Sum(a => a.BytesReceived);
        latencies.AddRange(await ChangeAsync(apis[k % apis.Length], token.Key, ca, agents, $"change{k}", TimeSpan.FromSeconds(60)));
        await Task.Delay(200); // let stragglers' byte counts settle
        bytesPerChange.Add(agents.Sum(a => a.BytesReceived) - bytesBefore);
    }
    var cpu = ServersCpu() - cpuBefore;
    var brokerCpu = BrokerCpu() - brokerCpuBefore;
    var agentsCpu = ProcFigures.CpuSeconds(Environment.ProcessId) - agentsCpuBefore;
    var stagesAfter = await StageFigures.ReadAsync(apis);
    // A scrape reads every node after it reads the collector's figures: the first scrape's O(N) allocation falls in the
    // window. The next scrape measures one scrape's allocation, which is left out.
    var scrapeBytes = (await StageFigures.ReadAsync(apis)).AllocatedBytes - stagesAfter.AllocatedBytes;
    var stages = stagesAfter.Since(stagesBefore) is var since ? since with { AllocatedBytes = Math.Max(0, since.AllocatedBytes - scrapeBytes) } : null!;
    latencies.Sort();
    var (rss, peak) = server.MemoryMb();
    var goalP99 = n <= 1000 ? "<= 1000 ms" : n >= 10_000 ? "<= 2000 ms" : "<= 3000 ms";
    Emit(new
    {
        bench = "mesh/one-node-added",
        n,
        store,
        connected,
        mode,
        broker = brokerName,
        changes,
        warm_changes = warmChanges,
        reconcile,
        p50_ms = Math.Round(Pct(latencies, 50), 1),
        p99_ms = Math.Round(Pct(latencies, 99), 1),
        max_ms = Math.Round(latencies[^1], 1),
        goal_p99 = goalP99,
        bytes_per_change = (long)bytesPerChange.Average(),
        bytes_per_change_per_node = Math.Round(bytesPerChange.Average() / connected, 1),
        server_cpu_s_per_change = Math.Round(cpu / changes, 3),
        // Embedded: the server's CPU includes the broker's TLS write to every connected subscriber; Mosquitto, RabbitMQ:
        // it does not. With two replicas: both servers' CPU.
        server_cpu_includes_fanout = !external,
        server_cpu_fanout_to = external ? 0 : connected,
        agents_cpu_s_per_change = Math.Round(agentsCpu / changes, 3),
        load_average_1min = LoadAverage(),
    });
    EmitStages(n, connected, brokerName, changes, stages, cpu);
    if (mosquitto is not null)
    {
        var (brokerRss, brokerPeak) = mosquitto.MemoryMb();
        Emit(new
        {
            bench = "mesh/broker-per-change", n, connected, mode, broker = brokerName, changes, broker_cpu_s_per_change = Math.Round(brokerCpu / changes, 3),
            broker_cpu_ms_per_change_per_node = Math.Round(brokerCpu * 1000 / changes / connected, 4), broker_rss_mb = Math.Round(brokerRss, 1), broker_peak_rss_mb = Math.Round(brokerPeak, 1),
        });
    }
    if (rabbit is not null)
    {
        Emit(new
        {
            // Per connected agent: the cluster's fan-out is to the K connected sessions (it was divided by N before --connected).
            bench = "mesh/broker-per-change", n, connected, mode, broker = brokerName, changes, broker_cpu_s_per_change = Math.Round(brokerCpu / changes, 3),
            broker_cpu_ms_per_change_per_node = Math.Round(brokerCpu * 1000 / changes / connected, 4),
        });
    }
    var (anon, fileAndShared) = server.MemorySplitMb();
    Emit(new
    {
        bench = "mesh/server-memory", n, connected, mode, broker = brokerName, rss_mb = Math.Round(rss, 1), peak_rss_mb = Math.Round(peak, 1), goal = MemoryGoal(n),
        rss_anon_mb = Math.Round(anon, 1), rss_file_and_shmem_mb = Math.Round(fileAndShared, 1),
    });
    // The same N agents stay connected and nothing changes for 40 s (the broker gives memory back once it is quiet).
    if (!idle)
    {
        await StopAllAsync(stop, agents);
        return;
    }
    // Its CPU while idle (the connected agents' keepalives and reports, its own timers): the background every change's
    // window also holds.
    var idleCpuBefore = ServersCpu();
    await Task.Delay(TimeSpan.FromSeconds(40));
    var idleCpuMsPerS = (ServersCpu() - idleCpuBefore) * 1000 / 40;
    var (idleRss, idlePeak) = server.MemoryMb();
    var (idleAnon, idleFile) = server.MemorySplitMb();
    Emit(new
    {
        bench = "mesh/server-memory-idle", n, connected = agents.Count, idle_s = 40, rss_mb = Math.Round(idleRss, 1), peak_rss_mb = Math.Round(idlePeak, 1),
        goal = MemoryGoal(n), rss_anon_mb = Math.Round(idleAnon, 1), rss_file_and_shmem_mb = Math.Round(idleFile, 1),
        server_cpu_ms_per_s = Math.Round(idleCpuMsPerS, 2),
    });
    await StopAllAsync(stop, agents);
}

// Issue #14: one line per stage with its cost per change (CPU from the threads' CPU clock, over the runs measured on
// one thread, scaled to all runs), then what the mesh's own stages (compute + seal) and the server's whole CPU per
// change come to. join_request encloses store_write; broker_writes is the embedded broker's TLS writes to subscribers.
static void EmitStages(int n, int connected, string brokerName, int changes, StageFigures stages, double serverCpu)
{
    double CpuMs(string stage) => stages.Stages.TryGetValue(stage, out var s) && s.CpuRuns > 0 ? s.CpuSeconds / s.CpuRuns * s.Runs * 1000 / changes : 0;
    foreach (var (stage, s) in stages.Stages.OrderBy(s => s.Key, StringComparer.Ordinal))
    {
        Emit(new
        {
            bench = "mesh/change-stage", n, connected, broker = brokerName, changes, stage, runs_per_change = Math.Round(s.Runs / changes, 2),
            cpu_ms_per_change = Math.Round(CpuMs(stage), 3), wall_ms_per_change = Math.Round(s.WallSeconds * 1000 / changes, 3),
            cpu_measured_share = s.Runs > 0 ? Math.Round(s.CpuRuns / s.Runs, 3) : 0,
            allocated_kb_per_change = Math.Round(s.CpuRuns > 0 ? s.AllocatedBytes / s.CpuRuns * s.Runs / 1024 / changes : 0, 1),
        });
    }
    var mesh = CpuMs("mesh_compute") + CpuMs("seal");
    var counted = CpuMs("join_request") + CpuMs("mesh_compute") + CpuMs("seal") + CpuMs("broker_handoff") + CpuMs("broker_writes");
    Emit(new
    {
        bench = "mesh/change-stages-summary", n, connected, broker = brokerName, changes,
        mesh_own_cpu_ms_per_change = Math.Round(mesh, 3), goal_mesh_own = "<= 10 ms",
        server_cpu_ms_per_change = Math.Round(serverCpu * 1000 / changes, 1),
        stages_cpu_ms_per_change = Math.Round(counted, 1),
        not_in_a_stage_cpu_ms_per_change = Math.Round((serverCpu * 1000 / changes) - counted, 1),
        gc_pause_ms_per_change = Math.Round(stages.GcPauseSeconds * 1000 / changes, 2),
        allocated_kb_per_change = Math.Round(stages.AllocatedBytes / 1024 / changes, 1),
        gc_collections_per_change = stages.GcCollections.Select(c => Math.Round(c / changes, 2)).ToArray(),
    });
}

// The replicas' settings (issue #20): a fresh database of the bench's PostgreSQL, the RabbitMQ cluster, no rate limits.
static Dictionary<string, string> ReplicaEnvironment(RabbitMqCluster rabbit) => new()
{
    ["APPLIANCE_STORE__KIND"] = "postgres",
    ["APPLIANCE_STORE__CONNECTIONSTRING"] = PostgresCluster.Instance.CreateDatabase(),
    ["APPLIANCE_MQTT__BROKER"] = "rabbitmq",
    ["APPLIANCE_MQTT__RABBITMQ__URLS"] = string.Join(",", rabbit.Nodes.Select(b => b.MqttUrl)),
    ["APPLIANCE_MQTT__RABBITMQ__MANAGEMENTURLS"] = string.Join(",", rabbit.Nodes.Select(b => b.ManagementUrl.ToString())),
    ["APPLIANCE_MQTT__RABBITMQ__ADMINUSER"] = rabbit.AdminUser,
    ["APPLIANCE_MQTT__RABBITMQ__ADMINPASSWORD"] = rabbit.AdminPassword,
};

static async Task StopAllAsync(CancellationTokenSource stop, List<SimulatedAgent> agents)
{
    await stop.CancelAsync();
    foreach (var a in agents)
    {
        await a.StopAsync();
    }
}

// One node joins through the API; the time until each agent has applied the update that adds it (ms since the join
// was sent), or a timeout naming how many had.
static async Task<List<double>> ChangeAsync(HttpClient http, string key, X509Certificate2 ca, List<SimulatedAgent> agents, string name, TimeSpan timeout)
{
    var pending = new System.Collections.Concurrent.ConcurrentDictionary<SimulatedAgent, double>();
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
    _ = await JoinAsync(http, key, name, ca, CancellationToken.None);
    if (await Task.WhenAny(done.Task, Task.Delay(timeout)) != done.Task)
    {
        throw new TimeoutException($"{name}: only {pending.Count} of {agents.Count} agents applied it within {timeout.TotalSeconds} s");
    }
    agents.ForEach(a => a.Applied = null);
    return [.. pending.Values];
}

// The priming shortcut (--prime), for N where N snapshots of N peers cannot be sent in the bench's time (~96 GB of
// TLS at N=20,000). Two agents take their real snapshots through the broker; together they hold every member's
// peer record. Every other agent starts from that state (the same version, epoch and server id; its own name), as a
// real agent restarting with saved state does, and tells the server the version it holds, so it is sent no
// snapshot and simply follows. What is measured stays real: each change is computed and published by the server,
// fanned out by the broker over each agent's own TLS connection, and checked by each agent's real gate
// (signature, lineage, version, Except) and applied with MeshDelta.Apply. What is left out is the device-side cost
// of merging each update into an N-peer list (on real nodes, spread over N devices): a primed agent keeps no peers
// of its own, only those the changes add. The two representatives keep full lists. Three sampled agents' primed
// state is checked against what the API serves them.
static async Task PrimeAsync(HttpClient http, List<SimulatedAgent> agents, AgentState[] states, int n, CancellationToken ct)
{
    var watch = Stopwatch.StartNew();
    await agents[0].StartAsync(ct);
    await agents[1].StartAsync(ct);
    await WaitUntilAsync(() => agents.Take(2).All(a => a.Config is { } c && c.Peers.Count == n - 1), TimeSpan.FromMinutes(5), "the representatives' snapshots");
    var a0 = agents[0].Config!;
    var all = a0.Peers.Append(agents[1].Config!.Peers.Single(p => p.NodeId == a0.NodeId)).ToDictionary(p => p.NodeId, StringComparer.Ordinal);
    if (all.Count != n)
    {
        throw new InvalidOperationException($"the representatives hold {all.Count} members, not {n}");
    }
    for (var i = 2; i < agents.Count; i++)
    {
        agents[i].Prime(a0 with { NodeId = states[i].NodeId, Name = states[i].Name, Peers = [], Gateway = null, Filter = null });
    }
    // The shortcut is only honest if the primed state is the server's: the API's config of three sampled agents has
    // the same version and lineage, and exactly every other member's record as the representatives hold it.
    foreach (var i in new[] { 2, agents.Count / 2, agents.Count - 1 }.Distinct().Where(i => i >= 2))
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/node/config");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", states[i].Credential);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        var api = (await response.Content.ReadFromJsonAsync<NodeConfigDto>(ct))!;
        var ok = api.Version == a0.Version && api.Epoch == a0.Epoch && api.ServerId == a0.ServerId && api.Peers.Count == n - 1 &&
            api.Peers.All(p => all.TryGetValue(p.NodeId, out var held) && MeshDelta.SamePeer(held, p)) && api.Peers.All(p => p.NodeId != states[i].NodeId);
        if (!ok)
        {
            throw new InvalidOperationException($"the primed state of agent {i} is not what the API serves it (v{api.Version}, {api.Peers.Count} peers)");
        }
    }
    await Parallel.ForEachAsync(agents.Skip(2), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (a, _) => await a.StartAsync(ct));
    Emit(new { bench = "mesh/priming", n, representatives = 2, sampled_checks = 3, seconds = Math.Round(watch.Elapsed.TotalSeconds, 1) });
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
    // A loaded machine (load 70-90 on 2 cores) has taken over a minute to JIT and start the server.
    var deadline = DateTime.UtcNow.AddSeconds(180);
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
