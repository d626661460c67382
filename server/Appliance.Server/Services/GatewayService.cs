using Appliance.Contracts.Api;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// Gives nodes gateway roles and takes them away: ingress (ext clients connect to the node) and egress (the mesh
/// reaches ranges behind the node). Every check runs in the write's transaction, and the store records every change
/// of the write (moving the network's version once), so members get the new allowed IPs and the gateway its role in one delta.
/// </summary>
public sealed class GatewayService(IApplianceStore store, TimeProvider clock, ServerOptions options)
{
    public Task<IngressDto> PutIngressAsync(string nodeId, IngressRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var dns = GatewayValidation.DnsServers(request.Dns, errors);
        errors.ThrowIfAny();
        return store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw DomainException.NotFound($"node '{nodeId}'");
            var record = new IngressRecord(node.Id, node.Network, request.Nat ?? true, dns, s.FindIngress(node.Id)?.CreatedAt ?? clock.GetUtcNow());
            s.UpsertIngress(record);
            return record.ToDto(s.ListExtClientsOfGateway(node.Id).Count);
        }, ct);
    }

    /// <summary>Removes the ingress role; with ext clients attached only when <paramref name="force"/>, which deletes them (their addresses are held).</summary>
    public async Task DeleteIngressAsync(string nodeId, bool force, CancellationToken ct)
    {
        await store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw DomainException.NotFound($"node '{nodeId}'");
            if (s.FindIngress(nodeId) is null)
            {
                throw DomainException.NotFound($"ingress role of node '{node.Name}'");
            }
            var clients = s.ListExtClientsOfGateway(nodeId);
            if (clients.Count > 0 && !force)
            {
                throw DomainException.Conflict($"node '{node.Name}' serves {clients.Count} ext clients; delete them first or pass ?force=true");
            }
            foreach (var c in clients)
            {
                s.DeleteExtClient(c.Id);
            }
            AddressHolds.Hold(s, node.Network, clients.SelectMany(c => new[] { c.Ipv4, c.Ipv6 }), clock.GetUtcNow() + options.AddressHold);
            s.DeleteIngress(nodeId);
            return 0;
        }, ct);
    }

    public Task<EgressDto> PutEgressAsync(string nodeId, EgressRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var ranges = GatewayValidation.Ranges(request.Ranges, errors);
        errors.ThrowIfAny();
        return store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw DomainException.NotFound($"node '{nodeId}'");
            var net = s.FindNetwork(node.Network)!;
            var meshErrors = new ValidationErrors();
            GatewayValidation.MeshOverlap(ranges, net, meshErrors);
            meshErrors.ThrowIfAny();
            var conflicts = new ValidationErrors();
            GatewayValidation.OtherGateways(node.Id, ranges, s.ListEgress(node.Network), s.ListNodes(node.Network).ToDictionary(n => n.Id, n => n.Name), conflicts);
            conflicts.ThrowIfAny(DomainErrorKind.Conflict);
            var record = new EgressRecord(node.Id, node.Network, ranges, request.Nat ?? true, s.FindEgress(node.Id)?.CreatedAt ?? clock.GetUtcNow());
            s.UpsertEgress(record);
            if (!record.HasDefaultRoute)
            {
                // No default route left: the nodes that sent their internet traffic here use their own again.
                s.ClearInternetGateway(node.Id);
            }
            return record.ToDto();
        }, ct);
    }

    /// <summary>Removes the egress role; nodes that used it as their internet gateway fall back to their own default route.</summary>
    public async Task DeleteEgressAsync(string nodeId, CancellationToken ct)
    {
        await store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw DomainException.NotFound($"node '{nodeId}'");
            if (!s.DeleteEgress(nodeId))
            {
                throw DomainException.NotFound($"egress role of node '{node.Name}'");
            }
            s.ClearInternetGateway(nodeId);
            return 0;
        }, ct);
    }
}
