using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>The one check of a node credential ("apn.&lt;nodeId&gt;.&lt;secret&gt;"), for the API and the broker alike.</summary>
public static class NodeCredentials
{
    /// <summary>The node the credential belongs to, or null when it is not a valid credential of a live node.</summary>
    public static async Task<NodeRecord?> VerifyAsync(IApplianceStore store, string credential, CancellationToken ct)
    {
        if (Secrets.NodeIdOf(credential) is not { } nodeId)
        {
            return null;
        }
        var node = await store.ReadAsync(s => s.FindNode(nodeId), ct);
        return node is not null && Secrets.Matches(credential, node.CredentialHash) ? node : null;
    }
}
