using System.Security.Cryptography.X509Certificates;
using Appliance.Agent.State;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Agent.Mesh;

/// <summary>
/// `appliance-agent run`: restores the last applied state at once (the server may be down), then follows the
/// server's signed updates over MQTT, persisting each new state before applying it. Reconnects by itself. Every wait
/// of its loops (reports, housekeeping, firewall repair, state check, broker retries) is on <paramref name="clock"/>,
/// and its broker client comes from <paramref name="clients"/>, so tests run it on a fake clock without a broker.
/// </summary>
public sealed partial class MeshDaemon(StateStore store, MeshApplier applier, TextWriter log, TimeProvider? clock = null, IMqttClientFactory? clients = null)
{
    private readonly SemaphoreSlim _applying = new(1, 1);
    private NodeConfigDto? _current;
    private (DateTime, long) _desiredStamp;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly IMqttClientFactory _clients = clients ?? MqttClientFactory.Default;

    /// <summary>The status hardware, told of applies, the broker connection and identify commands (null: none).</summary>
    public Hardware.IAgentEvents? Events { get; init; }

    /// <summary>The watchdog's view of this daemon's loops (null: no watchdog): housekeeping and the MQTT side check in.</summary>
    public Appliance.Hardware.Watchdog.WatchdogHealth? Health { get; init; }

    /// <summary>How long a loop may go without checking in before the watchdog stops being fed.</summary>
    public static readonly TimeSpan LoopDeadline = TimeSpan.FromSeconds(120);

    private Appliance.Hardware.Watchdog.WatchdogHealth.Loop? _applyLoop;
    private Appliance.Hardware.Watchdog.WatchdogHealth.Loop? _mqttLoop;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        // A stuck apply holds the apply lock, so the housekeeping loop (which takes it every second) stops checking in.
        using var applyLoop = _applyLoop = Health?.Register("the apply/housekeeping loop", LoopDeadline);
        using var mqttLoop = _mqttLoop = Health?.Register("the MQTT loop", LoopDeadline);
        var state = store.LoadState() ?? throw new AgentException("not joined: run 'appliance-agent join --token <token>' first");
        if (state.MqttUrl is null || state.SigningKey is null)
        {
            throw new AgentException("the server gave no MQTT broker or signing key at join; join again with a newer server");
        }
        _current = LoadOwnDesired(state);
        _desiredStamp = DesiredStamp();
        if (_current is not null)
        {
            await ApplyLockedAsync(state, _current, "restored from local state", ct);
        }
        // Expiry and pulled configs are handled from the start: the broker may stay unreachable for a long time.
        using var background = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var housekeeping = HousekeepingLoopAsync(state, background.Token);
        var firewallRepair = FirewallRepairLoopAsync(background.Token);
        var paths = PathLoopAsync(state, background.Token);
        try
        {
            await FollowServerAsync(state, background.Token, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped (SIGTERM) in any state, also while still retrying an unreachable broker: a clean exit.
        }
        finally
        {
            await background.CancelAsync();
            await housekeeping;
            await firewallRepair;
            await paths;
        }
        return 0;
    }

    private async Task FollowServerAsync(AgentState state, CancellationToken background, CancellationToken ct)
    {
        var gate = new MeshUpdateGate(Convert.FromBase64String(state.SigningKey!), state.NodeId);
        await using var client = _clients.Create(ClientOptions(state));
        var networkTopic = false;
        client.ConnectionChanged += up =>
        {
            BrokerConnected = up;
            Events?.BrokerConnected(up);
            log.WriteLine(up ? "connected to the broker; asking for updates from the version held" : "lost the broker; keeping the current state and retrying");
            if (up)
            {
                _ = client.PublishAsync(MeshTopics.Resync(state.NodeId), ResyncRequest(networkTopic, _current), MqttQos.AtLeastOnce).AsTask();
            }
        };
        await ConnectUntilUpAsync(client, state, ct);
        Events?.BrokerConnected(true);
        await client.SubscribeAsync(MeshTopics.Updates(state.NodeId), MqttQos.AtLeastOnce, ct);
        // The network's shared topic: a change every member sees alike comes there once for all of them. A broker
        // that refuses it (an older server's ACL) leaves the node on its own topic, and the server is told so.
        var granted = await client.SubscribeAsync(MeshTopics.NetworkUpdates(state.Network.Name), MqttQos.AtLeastOnce, ct);
        networkTopic = granted.Count == 1 && granted[0] < 0x80;
        if (!networkTopic)
        {
            log.WriteLine($"the broker refused the network's shared topic {MeshTopics.NetworkUpdates(state.Network.Name)}; following updates on this node's own topic only");
        }
        var commandsTopic = MeshTopics.Commands(state.NodeId);
        var commands = new NodeCommandGate(state.NodeId);
        await client.SubscribeAsync(commandsTopic, MqttQos.AtLeastOnce, ct);
        await client.PublishAsync(MeshTopics.Resync(state.NodeId), ResyncRequest(networkTopic, _current), MqttQos.AtLeastOnce, cancellationToken: ct);
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(background);
        var reporter = ReportLoopAsync(client, state, () => _current, reporting.Token);
        var check = new MeshStateCheck(_clock, StateCheckAfter);
        var checker = check.RunAsync(() => client.IsConnected, c => CheckOverHttpsAsync(state, gate, check, c), log, reporting.Token);

        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(ct))
            {
                if (message.Topic == commandsTopic)
                {
                    // One-off commands (identify): signed by the key the update gate holds, never a state change.
                    if (commands.TryAccept(message.Payload.Span, gate.SigningKey, _clock.GetUtcNow(), out var command, out var why))
                    {
                        Events?.Identify(TimeSpan.FromSeconds(command!.Seconds));
                    }
                    else
                    {
                        log.WriteLine($"rejected a command ({commands.Rejected} so far): {why}");
                    }
                    continue;
                }
                await _applying.WaitAsync(ct);
                MeshUpdateOutcome outcome;
                string reason;
                try
                {
                    outcome = gate.Evaluate(message.Payload.Span, _current, out var next, out reason);
                    if (outcome == MeshUpdateOutcome.Applied)
                    {
                        SaveDesired(next!);
                        await ApplyLoggedAsync(state, next!, reason, ct);
                    }
                }
                finally
                {
                    _applying.Release();
                }
                switch (outcome)
                {
                    case MeshUpdateOutcome.Applied:
                        check.HeardNews();
                        break;
                    case MeshUpdateOutcome.SigningKeyChanged:
                        FollowSigningKey(state, gate, check, reason);
                        break;
                    case MeshUpdateOutcome.NeedsSnapshot:
                        log.WriteLine($"{reason}; asking for a snapshot");
                        await client.PublishAsync(MeshTopics.Resync(state.NodeId), ResyncRequest(networkTopic, null), MqttQos.AtLeastOnce, cancellationToken: ct);
                        break;
                    case MeshUpdateOutcome.Rejected:
                        log.WriteLine($"rejected a message ({gate.Rejected} so far): {reason}");
                        // Perhaps signed by a key announced while this node was away: the chain is one HTTPS call.
                        check.CheckSoon();
                        break;
                    case MeshUpdateOutcome.Unchanged:
                    case MeshUpdateOutcome.Skipped:
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        await reporting.CancelAsync();
        await reporter;
        await checker;
    }

    /// <summary>
    /// What the node sends to ask for updates: whether it reads its network's shared topic, and the state it holds
    /// (null: it needs a snapshot whatever it holds, as after a version it could not apply). When that state is the
    /// server's current one, the server sends no snapshot.
    /// </summary>
    internal static byte[] ResyncRequest(bool networkTopic, NodeConfigDto? held) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new MeshResyncRequest { NetworkTopic = networkTopic, Version = held?.Version, Epoch = held?.Epoch, ServerId = held?.ServerId },
            Contracts.DeviceJsonContext.Default.MeshResyncRequest);

    /// <summary>Whether the broker session is up (the status display shows it); null until the first try.</summary>
    public bool? BrokerConnected { get; private set; }

    /// <summary>The config applied last (null before the first).</summary>
    internal NodeConfigDto? Current => _current;

    /// <summary>Interval between status reports (liveness); a change of port or endpoints is reported at the next tick.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(30);

    private async Task ReportLoopAsync(IMqttClient client, AgentState state, Func<NodeConfigDto?> applied, CancellationToken ct)
    {
        var last = new System.Text.StringBuilder();
        var facts = new System.Text.StringBuilder();
        var sinceFull = ReportInterval; // the first report goes out as soon as we are connected
        // A reconnect reports at the next tick: a restarted server keeps reported paths in memory only and learns them here.
        var reconnected = 0;
        client.ConnectionChanged += up =>
        {
            if (up)
            {
                Interlocked.Exchange(ref reconnected, 1);
            }
        };
        var tick = TimeSpan.FromSeconds(Math.Min(5, ReportInterval.TotalSeconds));
        // Read over one kept rtnetlink socket every tick; an unchanged list is the same object (no allocation).
        using var addresses = new LocalAddresses();
        var pathReports = new PathReporter();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var device = await applier.TryReadDeviceAsync(state.Interface, ct);
                var report = new Contracts.Mesh.NodeReport
                {
                    ListenPort = device?.ListenPort is > 0 and var port ? port : applied()?.Interface.ListenPort ?? state.ListenPort,
                    Endpoints = state.PinnedEndpoints ?? addresses.Discover(state.Interface),
                    AppliedVersion = applied()?.Version ?? 0,
                    AgentVersion = Commands.JoinCommand.AgentVersion,
                    ExtClients = ExtClientReports(applied(), device),
                    Peers = applied() is { } config ? pathReports.Report(config, applier.Paths, device, _clock.GetUtcNow()) : null,
                    NoRelay = NoRelay,
                    NoPunch = NoPunch,
                    // Not facts below: counts that move do not make a report early.
                    DnsQueries = applier.DnsQueries,
                    RxBytes = device is null ? null : (long)Math.Min(long.MaxValue, device.Peers.Aggregate(0UL, (n, p) => n + p.RxBytes)),
                    TxBytes = device is null ? null : (long)Math.Min(long.MaxValue, device.Peers.Aggregate(0UL, (n, p) => n + p.TxBytes)),
                };
                // Report at once when something changed, and at the interval to say we are alive.
                // Paths and the endpoints in use count as facts (a relay's observations make peers' candidates); handshake ages do not.
                // The facts are written into one of two kept builders and compared with the other: no text per tick.
                ReportFacts(report, facts.Clear());
                if (client.IsConnected && (!facts.Equals(last) || sinceFull >= ReportInterval || Interlocked.Exchange(ref reconnected, 0) == 1))
                {
                    // Serialized only when sent: an idle agent sends every ReportInterval, not every tick.
                    var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(report, Contracts.DeviceJsonContext.Default.NodeReport);
                    await client.PublishAsync(MeshTopics.Status(state.NodeId), json, MqttQos.AtMostOnce, cancellationToken: ct);
                    (facts, last) = (last, facts);
                    sinceFull = TimeSpan.Zero;
                }
                _mqttLoop?.CheckIn();
                await Task.Delay(tick, _clock, ct);
                sinceFull += tick;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.WriteLine($"status report failed: {e.Message}");
                await Task.Delay(tick, _clock, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// What makes a report worth sending before its interval, written into <paramref name="into"/>: the port, the
    /// endpoints, the applied version, the opt-outs, and each peer's path, relay and endpoint in use.
    /// </summary>
    internal static void ReportFacts(Contracts.Mesh.NodeReport report, System.Text.StringBuilder into)
    {
        into.Append(report.ListenPort).Append('|');
        for (var i = 0; i < report.Endpoints.Count; i++)
        {
            into.Append(i == 0 ? "" : ",").Append(report.Endpoints[i]);
        }
        into.Append('|').Append(report.AppliedVersion).Append('|').Append(report.NoRelay).Append('|').Append(report.NoPunch).Append('|');
        var peers = report.Peers ?? [];
        for (var i = 0; i < peers.Count; i++)
        {
            var p = peers[i];
            into.Append(i == 0 ? "" : ",").Append(p.NodeId).Append('=').Append(p.Path).Append('/').Append(p.Via).Append('/').Append(p.Endpoint);
        }
    }

    /// <summary>
    /// Once a second: (1) ext-client expiry is enforced here too, not only by the server's next update, so a client
    /// stops working on time while the server is unreachable: when the earliest expiry passes, the state is applied
    /// again; (2) a desired.json written by someone else (`appliance-agent pull`) is picked up when it is newer than
    /// what runs.
    /// </summary>
    private async Task HousekeepingLoopAsync(AgentState state, CancellationToken ct)
    {
        var checkedAt = _clock.GetUtcNow();
        // One kept timer: a Task.Delay a second was a timer and a promise each time (issue #15).
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(ct);
                await _applying.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                _applyLoop?.CheckIn();
                var now = _clock.GetUtcNow();
                if (DesiredStamp() is var stamp && stamp != _desiredStamp)
                {
                    _desiredStamp = stamp;
                    if (TryLoadPulled() is { } pulled)
                    {
                        if (MeshStateCheck.ShouldTake(_current, pulled))
                        {
                            pulled = MeshFilterGuard.Settle(_current, pulled, out var refusal);
                            if (refusal is not null)
                            {
                                log.WriteLine(refusal);
                            }
                            _current = pulled;
                            await ApplyLoggedAsync(state, pulled, "picked up a pulled config", ct);
                        }
                        else
                        {
                            log.WriteLine($"ignoring a pulled config: v{pulled.Version} is not newer than v{_current!.Version}");
                        }
                    }
                }
                if (_current is { } config && MeshTranslator.NextExpiry(config, checkedAt) is { } due && due <= now)
                {
                    await ApplyLoggedAsync(state, config, "an ext client expired", ct);
                }
                checkedAt = now;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                _applying.Release();
            }
        }
    }

    /// <summary>How often the gateway's firewall rules are read back and put back if gone; zero or less: never.</summary>
    public TimeSpan FirewallRepairInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Every <see cref="FirewallRepairInterval"/>: other software (an fw4 or firewalld reload, <c>nft flush ruleset</c>,
    /// <c>iptables -F</c>) may remove the gateway's rules at any time, leaving the mesh unfiltered or cut off; they are
    /// read back and re-applied within one interval. Runs under the apply lock (the gateway reconciler is not thread-safe).
    /// </summary>
    private async Task FirewallRepairLoopAsync(CancellationToken ct)
    {
        if (FirewallRepairInterval <= TimeSpan.Zero)
        {
            return;
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FirewallRepairInterval, _clock, ct);
                await _applying.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await applier.RepairFirewallAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A failed read or re-apply is tried again at the next interval.
                log.WriteLine($"gateway firewall check failed: {e.Message}");
            }
            finally
            {
                _applying.Release();
            }
        }
    }

    private NodeConfigDto? TryLoadPulled()
    {
        try
        {
            return store.LoadDesired();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or AgentException)
        {
            log.WriteLine($"ignoring {store.DesiredPath}: {e.Message}");
            return null;
        }
    }

    /// <summary>Saves what the daemon applies, remembering the file's stamp so its own writes are not taken as a pull.</summary>
    private void SaveDesired(NodeConfigDto config)
    {
        store.SaveDesired(config);
        _current = config;
        _desiredStamp = DesiredStamp();
    }

    private (DateTime, long) DesiredStamp()
    {
        var info = new FileInfo(store.DesiredPath);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    private async Task ApplyLockedAsync(AgentState state, NodeConfigDto config, string why, CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            await ApplyLoggedAsync(state, config, why, ct);
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>Applies a state; the caller holds <see cref="_applying"/>.</summary>
    private async Task ApplyLoggedAsync(AgentState state, NodeConfigDto config, string why, CancellationToken ct)
    {
        try
        {
            foreach (var repeat in MeshTranslator.RepeatedPeers(config, _clock.GetUtcNow()))
            {
                log.WriteLine($"v{config.Version}: {repeat}");
            }
            var plan = await applier.ApplyAsync(state, config, ct);
            Events?.Applied(true);
            log.WriteLine($"applied v{config.Version} ({why}): {config.Peers.Count} peers, {(plan.IsEmpty ? "WireGuard unchanged" : "WireGuard updated")}");
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Keep running: the next update or restart tries again from the saved state.
            Events?.Applied(false);
            log.WriteLine($"could not apply v{config.Version}: {e.Message}");
        }
    }

    /// <summary>Transfer counters and last handshake of this gateway's ext clients, from the WireGuard device.</summary>
    internal static IReadOnlyList<Contracts.Mesh.ExtClientReport>? ExtClientReports(NodeConfigDto? config, Appliance.WireGuard.WgDevice? device)
    {
        if (config?.Gateway?.Ingress is not { } ingress || device is null)
        {
            return null;
        }
        // By key, not by text: any base64 spelling of a client's key finds its peer.
        var peers = device.Peers.ToDictionary(p => p.PublicKey);
        var reports = new List<Contracts.Mesh.ExtClientReport>();
        foreach (var c in ingress.Clients)
        {
            if (Contracts.WgKey.TryParse(c.PublicKey, out var key) && peers.TryGetValue(key, out var p))
            {
                reports.Add(new Contracts.Mesh.ExtClientReport(c.Id, (long)p.RxBytes, (long)p.TxBytes, p.LastHandshake));
            }
        }
        return reports;
    }

    private async Task ConnectUntilUpAsync(IMqttClient client, AgentState state, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await client.ConnectAsync(ct);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
            {
                BrokerConnected = false;
                log.WriteLine($"cannot reach the broker at {string.Join(", ", state.MqttUrls ?? [state.MqttUrl!])} ({e.Message}); retrying in {delay.TotalSeconds:0.#} s");
                _mqttLoop?.CheckIn();
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)), _clock, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Most brokers an agent takes from its join answer; a cluster of more is cut to these.</summary>
    public const int MaxBrokers = 16;

    /// <summary>
    /// The client of this node: its credential, a persistent session, and every broker of the server's cluster (the
    /// join's URL first); the client fails over to the next broker when one cannot be reached.
    /// </summary>
    internal static MqttClientOptions ClientOptions(AgentState state)
    {
        var urls = BrokerUrls(state);
        var url = urls[0];
        var options = new MqttClientOptions
        {
            Host = url.IdnHost.Trim('[', ']'),
            Port = url.Port,
            FailoverBrokers = [.. urls.Skip(1).Select(u => new MqttBrokerAddress(u.IdnHost.Trim('[', ']'), u.Port))],
            ClientId = state.NodeId,
            UserName = state.NodeId,
            Password = state.Credential,
            KeepAliveSeconds = 30,
            AutoReconnect = true,
            // A persistent session keeps the subscription (and queues deltas) across short disconnects.
            CleanSession = false,
        };
        if (url.Scheme == "mqtts")
        {
            if (state.CaPem is null)
            {
                throw new AgentException("the broker uses TLS but no server CA was saved at join");
            }
            // No fixed target host: each broker's certificate is checked against the host it is reached at.
            options.Tls = new MqttTlsOptions { TrustedRoots = [X509Certificate2.CreateFromPem(state.CaPem)], TargetHost = urls.Count == 1 ? url.Host : null };
        }
        return options;
    }

    /// <summary>The broker URLs of the state, the join's <see cref="AgentState.MqttUrl"/> first, checked and without repeats.</summary>
    internal static IReadOnlyList<Uri> BrokerUrls(AgentState state)
    {
        var urls = new List<Uri>();
        foreach (var text in new[] { state.MqttUrl! }.Concat(state.MqttUrls ?? []).Distinct(StringComparer.Ordinal).Take(MaxBrokers))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts") || uri.Host.Length == 0)
            {
                throw new AgentException($"the broker URL '{text}' from the join is not mqtt://host:port or mqtts://host:port; join again");
            }
            if (urls.Count > 0 && uri.Scheme != urls[0].Scheme)
            {
                throw new AgentException($"the broker URL '{text}' from the join mixes TLS and plain MQTT with '{urls[0]}'; join again");
            }
            // MQTT's registered ports when the URL names none (System.Uri knows no default for mqtt).
            urls.Add(uri.Port > 0 ? uri : new UriBuilder(uri) { Port = uri.Scheme == "mqtts" ? 8883 : 1883 }.Uri);
        }
        return urls;
    }
}
