using Appliance.Agent.Nat;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;

namespace Appliance.Agent.Mesh;

/// <summary>The NAT part of the daemon (issue #18): it steps the path planner against the live device and reports the paths.</summary>
public sealed partial class MeshDaemon
{
    /// <summary>The owner's opt-out of hole punching (<c>run --no-punch</c>): peers' mapped addresses are not tried, and the server hides this node's.</summary>
    public bool NoPunch { get; init; }

    /// <summary>The owner's opt-out of relaying (<c>run --no-relay</c>): the server stops using this node as a relay.</summary>
    public bool NoRelay { get; init; }

    /// <summary>How often the paths are stepped (the device read); zero or less: never (paths stay as the server sent them).</summary>
    public TimeSpan PathInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The path planner (tests set its probe time).</summary>
    public PeerPathPlanner Planner { get; init; } = new();

    /// <summary>Where the paths are written for `appliance-agent status` (another process).</summary>
    public string PathsFile => store.PathsPath;

    private async Task PathLoopAsync(AgentState state, CancellationToken ct)
    {
        if (PathInterval <= TimeSpan.Zero)
        {
            return;
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PathInterval, _clock, ct);
                await _applying.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (_current is { } config && await applier.TryReadDeviceAsync(state.Interface, ct) is { } device)
                {
                    var before = applier.Paths;
                    if (Planner.Step(config, Observe(config, device), _clock.GetUtcNow(), NoPunch))
                    {
                        var after = new Dictionary<string, PeerPath>(Planner.Paths, StringComparer.Ordinal);
                        applier.Paths = after;
                        foreach (var line in PathChanges(config, before, after))
                        {
                            log.WriteLine(line);
                        }
                        await ApplyLoggedAsync(state, config, "peer paths changed", ct);
                        AtomicFile.Write(PathsFile, System.Text.Json.JsonSerializer.Serialize(
                            [.. PathReports(config, after, null, _clock.GetUtcNow())], AgentJsonContext.Default.ListPeerPathReport), secret: false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.WriteLine($"peer path step failed: {e.Message}");
            }
            finally
            {
                _applying.Release();
            }
        }
    }

    /// <summary>The device's peers by node id (the desired state maps keys to nodes; keys compare as their bytes).</summary>
    internal static Dictionary<string, PeerObservation> Observe(NodeConfigDto config, WireGuard.WgDevice device)
    {
        var byKey = device.Peers.ToDictionary(p => p.PublicKey);
        var observed = new Dictionary<string, PeerObservation>(StringComparer.Ordinal);
        foreach (var p in config.Peers)
        {
            if (WgKey.TryParse(p.PublicKey, out var key) && byKey.TryGetValue(key, out var d))
            {
                observed[p.NodeId] = new PeerObservation(d.LastHandshake is { } hs && hs > DateTimeOffset.UnixEpoch ? hs : null, d.RxBytes, d.Endpoint);
            }
        }
        return observed;
    }

    /// <summary>
    /// The paths as the report and `status` show them: per peer node its path, the relay's id, the endpoint in use
    /// (a relayed peer's is its relay's) and that endpoint's handshake age. Without a device only paths and relays.
    /// </summary>
    internal static IEnumerable<PeerPathReport> PathReports(NodeConfigDto config, IReadOnlyDictionary<string, PeerPath>? paths, WireGuard.WgDevice? device, DateTimeOffset now)
    {
        var observed = device is null ? [] : Observe(config, device);
        foreach (var p in config.Peers)
        {
            var path = paths?.GetValueOrDefault(p.NodeId);
            var kind = path?.Kind switch
            {
                PeerPathKind.Direct => PeerPathReport.Direct,
                PeerPathKind.Relayed => PeerPathReport.Relayed,
                _ => PeerPathReport.Probing,
            };
            var via = kind == PeerPathReport.Relayed ? path!.Via : null;
            var inUse = observed.GetValueOrDefault(via ?? p.NodeId);
            long? age = inUse?.LastHandshake is { } hs ? (long)Math.Max(0, (now - hs).TotalSeconds) : null;
            yield return new PeerPathReport(p.NodeId, kind, via, inUse?.Endpoint?.ToString(), age);
        }
    }

    private static IEnumerable<string> PathChanges(NodeConfigDto config, IReadOnlyDictionary<string, PeerPath>? before, IReadOnlyDictionary<string, PeerPath> after)
    {
        var names = config.Peers.ToDictionary(p => p.NodeId, p => p.Name, StringComparer.Ordinal);
        foreach (var (id, path) in after)
        {
            var old = before?.GetValueOrDefault(id);
            if (old?.Kind == path.Kind && old.Via == path.Via && (path.Kind != PeerPathKind.Probing || Equals(old.Endpoint, path.Endpoint)))
            {
                continue;
            }
            yield return path.Kind switch
            {
                PeerPathKind.Direct => $"path to {names.GetValueOrDefault(id, id)}: direct",
                PeerPathKind.Relayed => $"path to {names.GetValueOrDefault(id, id)}: relay {names.GetValueOrDefault(path.Via!, path.Via!)}",
                _ => $"path to {names.GetValueOrDefault(id, id)}: probing {path.Endpoint?.ToString() ?? "(no candidate)"}",
            };
        }
    }
}
