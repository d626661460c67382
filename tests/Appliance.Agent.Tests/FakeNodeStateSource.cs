using Appliance.Agent.Mesh;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Tests;

/// <summary>
/// The server's node routes in memory: a signing-key chain and a desired state, counting the calls. (Here rather
/// than in TestSupport, which does not reference the agent.)
/// </summary>
public sealed class FakeNodeStateSource(SigningKeyChainDto chain, NodeConfigDto config) : INodeStateSource
{
    private int _checks;

    public int Checks => Volatile.Read(ref _checks);

    public Task<SigningKeyChainDto> GetSigningKeysAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _checks);
        return Task.FromResult(chain);
    }

    public Task<NodeConfigDto> GetConfigAsync(CancellationToken ct) => Task.FromResult(config);

    public void Dispose()
    {
    }
}
