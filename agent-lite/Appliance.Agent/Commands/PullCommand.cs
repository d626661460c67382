using System.Security.Cryptography.X509Certificates;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Commands;

/// <summary>
/// `appliance-agent pull`: fetches the node's full desired state and saves it as desired.json, where a running
/// daemon picks it up within a second when it is newer than what it runs.
/// </summary>
public static class PullCommand
{
    public static async Task<NodeConfigDto> RunAsync(StateStore store, bool json, TextWriter output, CancellationToken ct)
    {
        var state = store.LoadState() ?? throw new AgentException("not joined: run 'appliance-agent join --token <token>' first");
        Diagnostics.SystemTrustStore.ForMembership(state);
        using var ca = state.CaPem is null ? null : X509Certificate2.CreateFromPem(state.CaPem);
        using var api = new ServerApi(state.Server, ca, state.Credential);
        var config = await api.GetConfigAsync(ct);
        store.SaveDesired(config);
        if (json)
        {
            output.WriteLine(IndentedJson.Serialize(config, DeviceJsonContext.Default.NodeConfigDto));
        }
        else
        {
            output.WriteLine($"config version {config.Version}: {string.Join(", ", config.Interface.Addresses)} on {state.Interface}, {config.Peers.Count} peers (saved; a running agent applies it within a second)");
            foreach (var p in config.Peers)
            {
                output.WriteLine($"  {p.Name,-20} {p.PublicKey}  {string.Join(",", p.AllowedIps),-20} {p.Endpoint ?? "(no endpoint)"}");
            }
        }
        return config;
    }
}
