using System.Text.Json;
using Appliance.Agent.State;

namespace Appliance.Agent.Commands;

/// <summary>`appliance-agent status`: what the agent knows locally (never the private key or credential).</summary>
public static class StatusCommand
{
    public static AgentStatus Read(StateStore store)
    {
        var state = store.LoadState();
        if (state is null)
        {
            return new AgentStatus(false, null, null, null, null, null, null, [], null, null, null, null);
        }
        var desired = store.LoadDesired();
        return new AgentStatus(
            true, state.NodeId, state.Name, state.Network.Name, state.Server, state.Interface, state.PublicKey,
            new[] { state.Ipv4Address, state.Ipv6Address }.OfType<string>().ToList(),
            state.ListenPort, state.JoinedAt, desired?.Version, desired?.Peers.Count);
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
    }
}
