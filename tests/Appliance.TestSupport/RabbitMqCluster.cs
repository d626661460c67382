using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.TestSupport;

/// <summary>
/// A RabbitMQ cluster owned by one test class: its nodes run from Debian's <c>rabbitmq-server</c> in a temp dir, with
/// their own Erlang cookie, their own epmd on a free port (so nothing meets the system's nodes), the MQTT plugin on a
/// free port of loopback (or of the local address the test gives, for agents in network namespaces), the management
/// API on a free loopback port, and no AMQP listener. Node 1 starts first and the others join it
/// (classic peer discovery). Every process is stopped by its pid on dispose, also after a failed start.
/// </summary>
public sealed class RabbitMqCluster : IAsyncDisposable
{
    /// <summary>How long a node may take to boot on a loaded CI machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly TempDirectory _dir = new("rabbitmq");
    private readonly List<RabbitMqNode> _nodes = [];
    private Process? _epmd;
    private int _epmdPort;

    private RabbitMqCluster(string mqttHost)
    {
        AdminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        MqttHost = mqttHost;
    }

    /// <summary>The local address every node's MQTT listener is on.</summary>
    public string MqttHost { get; }

    public string AdminUser => "test-admin";

    public string AdminPassword { get; }

    public IReadOnlyList<RabbitMqNode> Nodes => _nodes;

    /// <summary>Starts a cluster of <paramref name="size"/> nodes and waits until every node runs in it.</summary>
    /// <param name="mqttHost">The local address the MQTT listeners bind (it must exist before the start).</param>
    public static async Task<RabbitMqCluster> StartAsync(int size, string mqttHost = "127.0.0.1")
    {
        Prerequisites.RequireProgram("rabbitmq-server");
        var epmd = Prerequisites.RequireProgram("epmd");
        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException($"prerequisite missing: {ServerScript} (Debian's rabbitmq-server). Run scripts/test.sh, which installs the test dependencies.");
        }
        var cluster = new RabbitMqCluster(mqttHost);
        try
        {
            // The cookie authenticates the nodes to each other; Erlang insists on mode 0400.
            var cookie = cluster._dir.Combine(".erlang.cookie");
            File.WriteAllText(cookie, Convert.ToHexString(RandomNumberGenerator.GetBytes(20)));
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
            cluster._epmdPort = Binaries.FreeTcpPort();
            var psi = new ProcessStartInfo(epmd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-port");
            psi.ArgumentList.Add(cluster._epmdPort.ToString(CultureInfo.InvariantCulture));
            cluster._epmd = Process.Start(psi) ?? throw new InvalidOperationException("could not start epmd");
            ProcessOutput.Capture(cluster._epmd);

            for (var i = 1; i <= size; i++)
            {
                cluster._nodes.Add(new RabbitMqNode(cluster, i));
            }
            cluster._nodes[0].Start();
            await cluster._nodes[0].WaitRunningAsync();
            foreach (var n in cluster._nodes.Skip(1))
            {
                n.Start();
            }
            await Task.WhenAll(cluster._nodes.Skip(1).Select(n => n.WaitRunningAsync()));
            await cluster.WaitClusteredAsync(size);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>A management API client with the admin's credentials, for checks the test makes itself.</summary>
    public HttpClient Management(RabbitMqNode? node = null)
    {
        var n = node ?? _nodes.First(x => x.IsRunning);
        var http = new HttpClient { BaseAddress = n.ManagementUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(AdminUser + ":" + AdminPassword)));
        return http;
    }

    /// <summary>The names of the cluster's users, read through a running node.</summary>
    public async Task<IReadOnlyList<string>> UserNamesAsync()
    {
        using var http = Management();
        var users = JsonNode.Parse(await http.GetStringAsync("/api/users"))!.AsArray();
        return [.. users.Select(u => u!["name"]!.GetValue<string>())];
    }

    /// <summary>
    /// Waits until the persistent session queue of MQTT client <paramref name="clientId"/> (its QoS 1 subscriptions)
    /// has its mirrors (the server's policy: on one other node by default, <c>Mqtt:RabbitMq:SessionQueueNodes</c>), at
    /// least one, all in step, so that it survives the loss of the node it lives on.
    /// </summary>
    public async Task WaitSessionMirroredAsync(string clientId, RabbitMqNode via, TimeSpan timeout)
    {
        using var http = Management(via);
        await Wait.UntilAsync(async () =>
        {
            using var r = await http.GetAsync($"/api/queues/%2F/mqtt-subscription-{Uri.EscapeDataString(clientId)}qos1");
            if (!r.IsSuccessStatusCode)
            {
                return false;
            }
            // JsonDocument, not JsonNode: RabbitMQ 3.10 may list a key twice in a queue's JSON (the mirrors' keys, seen here).
            using var queue = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return queue.RootElement.TryGetProperty("synchronised_slave_nodes", out var synced) && synced.ValueKind == JsonValueKind.Array
                && queue.RootElement.TryGetProperty("slave_nodes", out var mirrors) && mirrors.ValueKind == JsonValueKind.Array
                && synced.GetArrayLength() >= 1 && synced.GetArrayLength() == mirrors.GetArrayLength();
        }, $"the session queue of {clientId} has a mirror in step", timeout, () => Logs, TimeSpan.FromMilliseconds(200));
    }

    /// <summary>The names of the nodes (r1@localhost...) the MQTT connections of user <paramref name="user"/> are on.</summary>
    public async Task<IReadOnlyList<string>> ConnectionNodesAsync(string user, RabbitMqNode via)
    {
        using var http = Management(via);
        using var connections = JsonDocument.Parse(await http.GetStringAsync("/api/connections"));
        return [.. connections.RootElement.EnumerateArray()
            .Where(c => c.TryGetProperty("user", out var u) && u.GetString() == user)
            .Select(c => c.GetProperty("node").GetString()!)];
    }

    /// <summary>Everything the nodes logged, for a failure message.</summary>
    public string Logs => string.Join("\n", _nodes.Select(n => $"--- node {n.Index} ---\n{n.Log}"));

    private async Task WaitClusteredAsync(int size)
    {
        using var http = Management();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                var nodes = JsonNode.Parse(await http.GetStringAsync("/api/nodes"))!.AsArray();
                if (nodes.Count(n => n!["running"]!.GetValue<bool>()) == size)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the {size} RabbitMQ nodes did not form one cluster in {StartTimeout.TotalSeconds} s:\n{Logs}");
            }
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            n.Stop();
        }
        if (_epmd is { HasExited: false } epmd)
        {
            epmd.Kill();
            await epmd.WaitForExitAsync();
        }
        _epmd?.Dispose();
        _dir.Dispose();
    }

    /// <summary>One broker node: its ports, its processes (the start script and the Erlang VM), and its log.</summary>
    public sealed class RabbitMqNode
    {
        private readonly RabbitMqCluster _cluster;
        private readonly string _home;
        private Process? _script;
        private ProcessOutput? _output;

        internal RabbitMqNode(RabbitMqCluster cluster, int index)
        {
            _cluster = cluster;
            Index = index;
            _home = cluster._dir.Combine("n" + index.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(_home);
            MqttPort = Binaries.FreeTcpPort();
            ManagementPort = Binaries.FreeTcpPort();
            DistributionPort = Binaries.FreeTcpPort();
        }

        public int Index { get; }

        public string Name => $"r{Index}@localhost";

        public int MqttPort { get; }

        public int ManagementPort { get; }

        public int DistributionPort { get; }

        public string MqttUrl => $"mqtt://{_cluster.MqttHost}:{MqttPort}";

        public Uri ManagementUrl => new($"http://127.0.0.1:{ManagementPort}");

        public bool IsRunning => _script is { HasExited: false };

        /// <summary>The pid of the node's Erlang VM (from its pid file), 0 before it wrote one.</summary>
        public int VmPid
        {
            get
            {
                var file = Path.Combine(_home, "pid");
                return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
            }
        }

        public string Log
        {
            get
            {
                var file = Path.Combine(_home, "log", Name + ".log");
                var text = File.Exists(file) ? File.ReadAllText(file) : "";
                return (_output?.Text ?? "") + "\n" + (text.Length > 20_000 ? text[^20_000..] : text);
            }
        }

        internal void Start()
        {
            var discovery = Index == 1 ? "" :
                $"cluster_formation.peer_discovery_backend = classic_config\ncluster_formation.classic_config.nodes.1 = {_cluster._nodes[0].Name}\n";
            File.WriteAllText(Path.Combine(_home, "rabbitmq.conf"),
                "listeners.tcp = none\n" +
                $"mqtt.listeners.tcp.default = {_cluster.MqttHost}:{MqttPort}\n" +
                "mqtt.allow_anonymous = false\n" +
                $"management.tcp.port = {ManagementPort}\n" +
                "management.tcp.ip = 127.0.0.1\n" +
                "loopback_users = none\n" +
                $"default_user = {_cluster.AdminUser}\n" +
                $"default_pass = {_cluster.AdminPassword}\n" +
                "default_user_tags.administrator = true\n" +
                discovery);
            var psi = new ProcessStartInfo(ServerScript) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            var env = psi.Environment;
            env["HOME"] = _cluster._dir.Path;
            env["ERL_EPMD_PORT"] = _cluster._epmdPort.ToString(CultureInfo.InvariantCulture);
            env["RABBITMQ_NODENAME"] = Name;
            env["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(CultureInfo.InvariantCulture);
            env["RABBITMQ_CONFIG_FILE"] = Path.Combine(_home, "rabbitmq.conf");
            env["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_home, "advanced.config");
            env["RABBITMQ_MNESIA_BASE"] = Path.Combine(_home, "mnesia");
            env["RABBITMQ_LOG_BASE"] = Path.Combine(_home, "log");
            env["RABBITMQ_PID_FILE"] = Path.Combine(_home, "pid");
            env["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_home, "enabled_plugins");
            env["RABBITMQ_ENABLED_PLUGINS"] = "rabbitmq_mqtt,rabbitmq_management";
            _script = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + ServerScript);
            _output = ProcessOutput.Capture(_script);
        }

        internal async Task WaitRunningAsync()
        {
            using var http = _cluster.Management(this);
            var deadline = DateTime.UtcNow + StartTimeout;
            while (true)
            {
                if (_script is { HasExited: true } s)
                {
                    throw new InvalidOperationException($"RabbitMQ node {Index} exited with {s.ExitCode}:\n{Log}");
                }
                try
                {
                    using var r = await http.GetAsync("/api/overview");
                    if (r.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"RabbitMQ node {Index} did not start in {StartTimeout.TotalSeconds} s:\n{Log}");
                }
                await Task.Delay(250);
            }
        }

        /// <summary>SIGKILL to the node's Erlang VM, as a crash would; its start script exits with it.</summary>
        public void Kill()
        {
            var pid = VmPid;
            if (pid > 0)
            {
                try
                {
                    using var vm = Process.GetProcessById(pid);
                    vm.Kill();
                    vm.WaitForExit(10_000);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
            _script?.WaitForExit(10_000);
        }

        internal void Stop()
        {
            if (_script is { HasExited: false } s)
            {
                // The start script, the VM and its helpers (erl_child_setup, inet_gethost) are all its descendants.
                s.Kill(entireProcessTree: true);
                s.WaitForExit(10_000);
            }
            _script?.Dispose();
        }
    }
}
