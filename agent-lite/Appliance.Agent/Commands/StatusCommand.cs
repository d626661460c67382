using System.Text.Json;
using Appliance.Agent.State;

namespace Appliance.Agent.Commands;

/// <summary>`appliance-agent status`: what the agent knows locally (never the private key or credential).</summary>
public static class StatusCommand
{
    public static AgentStatus Read(StateStore store, WireGuard.WgDevice? device = null, DateTimeOffset? now = null)
    {
        var state = store.LoadState();
        if (state is null)
        {
            return new AgentStatus(false, null, null, null, null, null, null, [], null, null, null, null);
        }
        var desired = store.LoadDesired();
        var names = desired?.Peers.ToDictionary(p => p.PublicKey, p => p.Name, StringComparer.Ordinal) ?? [];
        var at = now ?? DateTimeOffset.UtcNow;
        var paths = ReadPaths(store, desired, device, at);
        var peers = device?.Peers.Select(p =>
        {
            var name = names.GetValueOrDefault(p.PublicKey.ToString(), "?");
            var status = new PeerStatus(name, p.PublicKey.ToString(), p.Endpoint?.ToString(),
                p.LastHandshake is { } hs && hs > DateTimeOffset.UnixEpoch ? (long)(at - hs).TotalSeconds : null, p.RxBytes, p.TxBytes);
            return paths.TryGetValue(p.PublicKey.ToString(), out var path)
                ? status with { Path = path.Report.Path, Via = path.Via, Endpoint = path.Report.Endpoint, HandshakeAgeSeconds = path.Report.HandshakeAgeSeconds }
                : status;
        }).ToList();
        return new AgentStatus(
            true, state.NodeId, state.Name, state.Network.Name, state.Server, state.Interface, state.PublicKey,
            new[] { state.Ipv4Address, state.Ipv6Address }.OfType<string>().ToList(),
            state.ListenPort, state.JoinedAt, desired?.Version, desired?.Peers.Count, device is not null, peers,
            desired is null ? null : desired.Filter is { IsNone: false } f ? new PolicyStatus(true, f.Inbound.Count, f.Forward.Count) : new PolicyStatus(false, 0, 0));
    }

    /// <summary>
    /// The daemon's last paths (paths.json) joined with the live device, by peer public key: the path, the relay's name
    /// and the endpoint in use with its handshake age (issue #18). Empty when the daemon wrote none.
    /// </summary>
    private static Dictionary<string, (Contracts.Mesh.PeerPathReport Report, string? Via)> ReadPaths(StateStore store, Contracts.Api.NodeConfigDto? desired,
        WireGuard.WgDevice? device, DateTimeOffset now)
    {
        var result = new Dictionary<string, (Contracts.Mesh.PeerPathReport, string?)>(StringComparer.Ordinal);
        if (desired is null || !File.Exists(store.PathsPath))
        {
            return result;
        }
        List<Contracts.Mesh.PeerPathReport>? saved;
        try
        {
            saved = JsonSerializer.Deserialize(File.ReadAllText(store.PathsPath), AgentJsonContext.Default.ListPeerPathReport);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return result;
        }
        var paths = (saved ?? []).ToDictionary(p => p.NodeId, p => new Nat.PeerPath(
            p.Path switch { Contracts.Mesh.PeerPathReport.Direct => Nat.PeerPathKind.Direct, Contracts.Mesh.PeerPathReport.Relayed => Nat.PeerPathKind.Relayed, _ => Nat.PeerPathKind.Probing },
            null, p.Via), StringComparer.Ordinal);
        var byId = desired.Peers.ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        foreach (var report in Mesh.MeshDaemon.PathReports(desired, paths, device, now))
        {
            if (byId.TryGetValue(report.NodeId, out var peer))
            {
                result[peer.PublicKey] = (report, report.Via is { } via && byId.TryGetValue(via, out var relay) ? relay.Name : report.Via);
            }
        }
        return result;
    }

    /// <summary>The live device, when the interface exists and this process may read it; otherwise null.</summary>
    public static async Task<WireGuard.WgDevice?> TryReadDeviceAsync(StateStore store, CancellationToken ct)
    {
        var state = store.LoadState();
        if (state is null)
        {
            return null;
        }
        try
        {
            using var backend = WireGuard.WireGuardBackendSelector.Create();
            return await backend.GetDeviceAsync(state.Interface, ct);
        }
        catch (Exception e) when (e is WireGuard.WireGuardException or Netlink.NetlinkException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    public static void Print(AgentStatus status, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(status, AgentJsonContext.Default.AgentStatus));
            return;
        }
        if (!status.Joined)
        {
            output.WriteLine("not joined: run 'appliance-agent join --token <token>'");
            return;
        }
        output.WriteLine($"node:       {status.Name} ({status.NodeId})");
        output.WriteLine($"network:    {status.Network}");
        output.WriteLine($"server:     {status.Server}");
        output.WriteLine($"interface:  {status.Interface}, listen port {status.ListenPort}");
        output.WriteLine($"addresses:  {string.Join(", ", status.Addresses)}");
        output.WriteLine($"public key: {status.PublicKey}");
        output.WriteLine($"joined:     {status.JoinedAt:u}");
        output.WriteLine(status.ConfigVersion is { } v ? $"config:     version {v}, {status.PeerCount} peers" : "config:     not pulled yet ('appliance-agent pull')");
        if (status.Policy is { } policy)
        {
            output.WriteLine(policy.Active
                ? $"policy:     filter active, {policy.InboundRules} inbound and {policy.ForwardRules} forward rules (new connections from the mesh not allowed are dropped)"
                : "policy:     none (the network has no access policy: nothing is filtered)");
        }
        if (!status.InterfaceUp)
        {
            output.WriteLine($"wireguard:  {status.Interface} is not up (is 'appliance-agent run' running?)");
            return;
        }
        foreach (var p in status.Peers ?? [])
        {
            var age = p.HandshakeAgeSeconds is { } s ? $"handshake {s} s ago" : "no handshake yet";
            var path = p.Path is null ? string.Empty : p.Via is null ? $"path: {p.Path}" : $"path: {p.Path} {p.Via}";
            output.WriteLine($"  peer {p.Name,-20} {path,-22} {p.Endpoint ?? "(no endpoint)",-24} {age,-22} rx {p.RxBytes} B, tx {p.TxBytes} B");
        }
    }
}
