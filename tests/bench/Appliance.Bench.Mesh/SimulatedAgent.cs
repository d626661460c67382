using System.Security.Cryptography.X509Certificates;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.WireGuard;

namespace Appliance.Bench.Mesh;

/// <summary>
/// One node as the real agent handles it — MQTT client, signature/replay gate, delta apply, WireGuard reconciler —
/// with the WireGuard device kept in memory instead of a kernel. Its broker is <paramref name="host"/>:<paramref name="port"/>,
/// over TLS trusting <paramref name="ca"/>, or plain MQTT when <paramref name="ca"/> is null (a RabbitMQ node's listener).
/// </summary>
public sealed class SimulatedAgent(AgentState state, X509Certificate2? ca, int port, bool reconcile, string host = "127.0.0.1")
{
    private readonly MeshUpdateGate _gate = new(Convert.FromBase64String(state.SigningKey!), state.NodeId);
    private WgDevice _device = new("sim") { PrivateKey = Contracts.WgKey.Parse(state.PrivateKey) };
    private MqttClient? _client;

    public NodeConfigDto? Config { get; private set; }
    public long BytesReceived;
    public long Updates;
    /// <summary>Connects that had to be tried again (reported by the bench).</summary>
    public static long ConnectRetries;

    /// <summary>
    /// Starts this agent from a state it did not receive (the bench's priming shortcut at large N): it then asks the
    /// server to follow from that version, as a real agent restarting with saved state does, and gets no snapshot.
    /// </summary>
    public void Prime(NodeConfigDto config) => Config = config;

    /// <summary>Raised after each applied update with the config it produced.</summary>
    public Action<SimulatedAgent, NodeConfigDto>? Applied { get; set; }

    public async Task StartAsync(CancellationToken ct)
    {
        // N TLS connects on a shared, loaded 2-core machine: a connect the broker or the client timed out (or the broker
        // closed before its CONNACK, seen at N=5000 with the load average at 88) is tried again.
        for (var attempt = 1; ; attempt++)
        {
            _client = new MqttClient(new MqttClientOptions
            {
                Host = host,
                Port = port,
                ClientId = state.NodeId,
                UserName = state.NodeId,
                Password = state.Credential,
                Tls = ca is null ? null : new MqttTlsOptions { TargetHost = host, TrustedRoots = [ca] },
                KeepAliveSeconds = 120,
                CleanSession = true,
                AutoReconnect = false,
                ConnectTimeout = TimeSpan.FromSeconds(60),
            });
            try
            {
                await _client.ConnectAsync(ct);
                break;
            }
            catch (Exception e) when (attempt < 5 && !ct.IsCancellationRequested && e is IOException or OperationCanceledException or TimeoutException or MqttProtocolException)
            {
                await _client.DisposeAsync();
                Interlocked.Increment(ref ConnectRetries);
                await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or OperationCanceledException or TimeoutException or MqttProtocolException)
            {
                // The bench stops here (Parallel.ForEachAsync starts no further connects), naming who and why.
                await _client.DisposeAsync();
                throw new InvalidOperationException($"agent {state.Name}: no connection to the broker at {host}:{port} after {attempt} attempts ({e.GetType().Name}: {e.Message})", e);
            }
        }
        await _client.SubscribeAsync(MeshTopics.Updates(state.NodeId), MqttQos.AtLeastOnce, ct);
        // As the agent's daemon: its network's shared topic too, and a resync request that says so and names the
        // state held (none: a snapshot).
        await _client.SubscribeAsync(MeshTopics.NetworkUpdates(state.Network.Name), MqttQos.AtLeastOnce, ct);
        _ = Task.Run(() => ReadLoopAsync(ct), ct);
        var request = new MeshResyncRequest { NetworkTopic = true, Version = Config?.Version, Epoch = Config?.Epoch, ServerId = Config?.ServerId };
        await _client.PublishAsync(MeshTopics.Resync(state.NodeId), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, Contracts.ApplianceJsonContext.Default.MeshResyncRequest),
            MqttQos.AtLeastOnce, cancellationToken: ct);
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var m in _client!.Messages.ReadAllAsync(ct))
            {
                Interlocked.Add(ref BytesReceived, m.Payload.Length);
                if (_gate.Evaluate(m.Payload.Span, Config, out var next, out var what) != MeshUpdateOutcome.Applied)
                {
                    continue;
                }
                // Interned only after a snapshot: a delta's merge keeps the (shared) records it did not touch.
                Config = what.StartsWith("snapshot", StringComparison.Ordinal) ? PeerPool.Intern(next!) : next!;
                if (reconcile)
                {
                    // What the agent does with each update: desired device, minimal plan against the current device.
                    var desired = MeshTranslator.ToDevice(state, next!, DateTimeOffset.UtcNow);
                    _ = WgReconciler.Diff(_device, desired);
                    _device = _device with
                    {
                        ListenPort = desired.ListenPort ?? _device.ListenPort,
                        Peers = [.. desired.Peers.Select(p => new WgPeer(p.PublicKey) { Endpoint = p.Endpoint, PersistentKeepalive = p.PersistentKeepalive, AllowedIPs = p.AllowedIPs })],
                    };
                }
                Interlocked.Increment(ref Updates);
                Applied?.Invoke(this, next!);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }
}
