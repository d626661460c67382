using Appliance.Contracts.Api;

namespace Appliance.Agent.Mesh;

/// <summary>Where the daemon checks its state besides the broker: the server's node routes over pinned HTTPS (<see cref="ServerApi"/>).</summary>
public interface INodeStateSource : IDisposable
{
    /// <summary>The server's signing key and the announcements that lead to it, oldest first.</summary>
    Task<SigningKeyChainDto> GetSigningKeysAsync(CancellationToken ct);

    /// <summary>The node's full desired state.</summary>
    Task<NodeConfigDto> GetConfigAsync(CancellationToken ct);
}
