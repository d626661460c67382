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

    // The path loop's view of the device, kept between its steps (an idle step makes no new observations).
    private readonly PeerObserver _observer = new();

    /// <summary>Where the paths are written for `appliance-agent status` (another process).</summary>
    public string PathsFile => store.PathsPath;

    private async Task PathLoopAsync(AgentState state, CancellationToken ct)
    {
        if (PathInterval <= TimeSpan.Zero)
        {
            return;
        }
        // One kept timer: a Task.Delay a second was a timer and a promise each time (issue #15).
        using var timer = new PeriodicTimer(PathInterval, _clock);
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
                if (_current is { } config && await applier.TryReadDeviceAsync(state.Interface, ct) is { } device)
                {
                    var before = applier.Paths;
                    if (Planner.Step(config, _observer.Observe(config, device), _clock.GetUtcNow(), NoPunch))
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

    /// <summary>
    /// The paths as the report and `status` show them: per peer node its path, the relay's id, the endpoint in use
    /// (a relayed peer's is its relay's) and that endpoint's handshake age. Without a device only paths and relays.
    /// One call's worth of <see cref="PathReporter"/>, which the report loop keeps between its ticks.
    /// </summary>
    internal static IReadOnlyList<PeerPathReport> PathReports(NodeConfigDto config, IReadOnlyDictionary<string, PeerPath>? paths, WireGuard.WgDevice? device, DateTimeOffset now) =>
        new PathReporter().Report(config, paths, device, now);

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
