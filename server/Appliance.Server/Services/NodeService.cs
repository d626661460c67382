using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Api;
using Appliance.Server.Domain;
using Appliance.Server.Hosting;

namespace Appliance.Server.Services;

/// <summary>Lists, changes and removes nodes, and computes a node's full desired state.</summary>
public sealed class NodeService(ServerContext context, TimeProvider clock, Mesh.MeshPublisher mesh, Mqtt.IBrokerAccounts brokerAccounts)
{
    public Task<List<NodeDto>> ListAsync(string network, CancellationToken ct) =>
        context.Store.ReadAsync(s =>
        {
            var net = s.FindNetwork(network) ?? throw ApiException.NotFound($"network '{network}'");
            return s.ListNodes(network).Select(n => n.ToDto(net, OnlineSince)).ToList();
        }, ct);

    public Task<List<NodeDto>> ListAllAsync(CancellationToken ct) =>
        context.Store.ReadAsync(s =>
        {
            var nets = s.ListNetworks().ToDictionary(n => n.Name);
            return s.ListNodes(null).Select(n => n.ToDto(nets[n.Network], OnlineSince)).ToList();
        }, ct);

    public Task<NodeDto> GetAsync(string id, CancellationToken ct) =>
        context.Store.ReadAsync(s =>
        {
            var node = s.FindNode(id) ?? throw ApiException.NotFound($"node '{id}'");
            return node.ToDto(s.FindNetwork(node.Network)!, OnlineSince);
        }, ct);

    private DateTimeOffset OnlineSince => clock.GetUtcNow() - context.OfflineAfter;

    /// <summary>
    /// A node's own report: it is alive, and its listen port and endpoints are what it says. A change to either
    /// updates the peers of every other node; a report that changes nothing only moves last-seen.
    /// </summary>
    public async Task ReportAsync(string nodeId, Contracts.Mesh.NodeReport report, CancellationToken ct)
    {
        var valid = report.ListenPort is >= 1 and <= 65535 && report.Endpoints.Count <= 16 && report.Endpoints.All(e => Endpoints.TryParse(e, 51820, out _));
        var changedNetwork = await context.Store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId);
            if (node is null)
            {
                return null;
            }
            s.TouchNode(nodeId, clock.GetUtcNow());
            if (!valid || (node.ListenPort == report.ListenPort && node.Endpoints.SequenceEqual(report.Endpoints)))
            {
                return null;
            }
            s.UpdateNode(node with { ListenPort = report.ListenPort, Endpoints = report.Endpoints.ToList(), LastSeen = clock.GetUtcNow() });
            s.BumpNetworkVersion(node.Network);
            return node.Network;
        }, ct);
        if (changedNetwork is not null)
        {
            mesh.NetworkChanged(changedNetwork);
        }
    }

    public async Task<NodeDto> UpdateAsync(string id, UpdateNodeRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (request.Name is not null && !Names.IsDnsLabel(request.Name))
        {
            errors.Add("name", "must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
        if (request.ListenPort is { } p && p is < 1 or > 65535)
        {
            errors.Add("listenPort", "must be 1-65535");
        }
        var endpoints = request.Endpoints;
        FieldRules.Endpoints(endpoints, errors);
        var tags = request.Tags;
        FieldRules.Tags(tags, errors);
        errors.ThrowIfAny();

        var updated = await context.Store.WriteAsync(s =>
        {
            var node = s.FindNode(id) ?? throw ApiException.NotFound($"node '{id}'");
            if (request.Name is not null && request.Name != node.Name && s.NodeNames(node.Network).Contains(request.Name))
            {
                throw ApiException.Conflict("name", $"another node in network '{node.Network}' is named '{request.Name}'");
            }
            var next = node with
            {
                Name = request.Name ?? node.Name,
                ListenPort = request.ListenPort ?? node.ListenPort,
                Endpoints = endpoints?.ToList() ?? node.Endpoints,
                Tags = tags?.ToList() ?? node.Tags,
            };
            s.UpdateNode(next);
            s.BumpNetworkVersion(node.Network);
            return next.ToDto(s.FindNetwork(node.Network)!);
        }, ct);
        mesh.NetworkChanged(updated.Network);
        return updated;
    }

    /// <summary>Removes a node; its addresses are held back from new nodes for the configured grace period.</summary>
    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        var network = await context.Store.WriteAsync(s =>
        {
            var node = s.FindNode(id) ?? throw ApiException.NotFound($"node '{id}'");
            s.DeleteNode(id);
            s.HoldAddresses(node.Network, new[] { node.Ipv4, node.Ipv6 }.OfType<System.Net.IPAddress>(), clock.GetUtcNow() + context.AddressHold);
            s.BumpNetworkVersion(node.Network);
            return node.Network;
        }, ct);
        await brokerAccounts.NodeRemovedAsync(id, CancellationToken.None);
        mesh.NetworkChanged(network);
    }

    /// <summary>The node's full desired state: its interface and every other node of its network as a peer.</summary>
    public Task<NodeConfigDto> GetConfigAsync(string nodeId, CancellationToken ct) =>
        context.Store.ReadAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw ApiException.NotFound($"node '{nodeId}'");
            var network = s.FindNetwork(node.Network)!;
            return NodeConfigBuilder.Build(node, network, s.ListNodes(node.Network));
        }, ct);

    /// <summary>Records that the node called in (its last-seen time).</summary>
    public Task TouchAsync(string nodeId, CancellationToken ct) =>
        context.Store.WriteAsync(s => { s.TouchNode(nodeId, clock.GetUtcNow()); return 0; }, ct);
}
