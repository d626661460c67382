using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Security;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>Lists, changes and removes nodes, and computes a node's full desired state.</summary>
public sealed class NodeService(IApplianceStore store, TimeProvider clock, ServerOptions options, ServerIdentity identity, Mqtt.IBrokerAccounts brokerAccounts,
    NodeCommandPublisher commands, PeerPathBook paths, ILogger<NodeService>? logger = null, NodeStatusFeed? statusFeed = null,
    Metrics.ServerMetrics? metrics = null, TransferHistory? transfers = null)
{
    /// <summary>
    /// Makes a node's status LED blink for <see cref="IdentifyRequest.Seconds"/> (default 30, 1..3600) so someone can
    /// find it: a signed command over the node's MQTT channel. Checks everything before sending anything.
    /// </summary>
    public async Task<IdentifyDto> IdentifyAsync(string id, IdentifyRequest? request, CancellationToken ct)
    {
        var seconds = request?.Seconds ?? Contracts.Mesh.NodeCommand.DefaultSeconds;
        if (seconds is < Contracts.Mesh.NodeCommand.MinSeconds or > Contracts.Mesh.NodeCommand.MaxSeconds)
        {
            throw DomainException.Invalid("seconds", $"must be {Contracts.Mesh.NodeCommand.MinSeconds} to {Contracts.Mesh.NodeCommand.MaxSeconds}, not {seconds}");
        }
        var node = await GetAsync(id, ct);
        if (!commands.Enabled)
        {
            throw DomainException.Conflict("the server runs without MQTT (Mqtt:Enabled=false): there is no channel to send identify over");
        }
        await commands.IdentifyAsync(node.Id, seconds, ct);
        return new IdentifyDto(node.Id, seconds, node.Online);
    }

    public Task<List<NodeDto>> ListAsync(string network, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var net = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            return WithRoles(s, net, s.ListNodes(network));
        }, ct);

    public Task<List<NodeDto>> ListAllAsync(CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var nodes = s.ListNodes(null);
            return s.ListNetworks().SelectMany(net => WithRoles(s, net, [.. nodes.Where(n => n.Network == net.Name)])).ToList();
        }, ct);

    public Task<NodeDto> GetAsync(string id, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var node = s.FindNode(id) ?? throw DomainException.NotFound($"node '{id}'");
            return WithRoles(s, s.FindNetwork(node.Network)!, [node])[0];
        }, ct);

    /// <summary>The nodes as the API shows them: with their gateway roles and internet gateway.</summary>
    private List<NodeDto> WithRoles(IStoreSession s, NetworkRecord network, IReadOnlyList<NodeRecord> nodes)
    {
        var ingress = s.ListIngress(network.Name).ToDictionary(i => i.NodeId, StringComparer.Ordinal);
        var egress = s.ListEgress(network.Name).ToDictionary(e => e.NodeId, StringComparer.Ordinal);
        var clients = ingress.Count == 0 ? [] : s.ListExtClients(network.Name).CountBy(c => c.Gateway).ToDictionary(StringComparer.Ordinal);
        return nodes.Select(n => n.ToDto(network, OnlineSince) with
        {
            Ingress = ingress.TryGetValue(n.Id, out var i) ? i.ToDto(clients.GetValueOrDefault(n.Id)) : null,
            Egress = egress.TryGetValue(n.Id, out var e) ? e.ToDto() : null,
            Paths = paths.Get(n.Id),
        }).ToList();
    }

    private DateTimeOffset OnlineSince => clock.GetUtcNow() - options.OfflineAfter;

    /// <summary>
    /// A node's own report: it is alive, and its listen port and endpoints are what it says. A change to either
    /// updates the peers of every other node; a report that changes nothing only moves last-seen.
    /// </summary>
    public async Task ReportAsync(string nodeId, Contracts.Mesh.NodeReport report, CancellationToken ct)
    {
        // The same endpoint rule as join and PATCH: a report that breaks it still shows the node alive, changes nothing else.
        // A JSON null list is no list: invalid, like any other broken one.
        IReadOnlyList<string>? reported = report.Endpoints;
        var reportErrors = new ValidationErrors();
        FieldRules.Endpoints(reported, reportErrors);
        var valid = report.ListenPort is >= 1 and <= 65535 && reported is not null && !reportErrors.Any;
        reported ??= [];
        // The per-peer part (issue #18) is checked on its own: a bad one is dropped, the rest of the report still counts.
        var peerPaths = NatReports.Validate(report.Peers, out var pathError);
        if (pathError is not null)
        {
            logger?.LogWarning("node {Node} sent a status report with bad peer paths: {Error}", nodeId, pathError);
        }
        if (report.DnsQueries is { } dnsQueries)
        {
            metrics?.DnsQueriesReported(nodeId, dnsQueries);
        }
        IReadOnlyList<Contracts.Mesh.ExtClientReport> clientCounters = [];
        var network = await store.WriteAsync(s =>
        {
            var node = s.FindNode(nodeId);
            if (node is null)
            {
                return null;
            }
            s.TouchNode(nodeId, clock.GetUtcNow());
            clientCounters = ExtClientService.RecordCounters(s, nodeId, report.ExtClients);
            var next = node with { NoRelay = report.NoRelay, NoPunch = report.NoPunch };
            if (valid)
            {
                // The port a node reports is the one its device has. A report made before the node applied the
                // network's latest version may still carry the port an admin has just changed (a reconnect's report
                // racing `node update --listen-port`): taking it would undo the change. Its port counts once the node
                // holds the network's version; its endpoints (facts of the moment) always do.
                var holdsLatest = report.AppliedVersion >= (s.FindNetwork(node.Network)?.Version ?? 0);
                next = next with { ListenPort = holdsLatest ? report.ListenPort : node.ListenPort, Endpoints = reported.ToList() };
            }
            if (next.ListenPort != node.ListenPort || !next.Endpoints.SequenceEqual(node.Endpoints) || next.NoRelay != node.NoRelay || next.NoPunch != node.NoPunch)
            {
                node = next with { LastSeen = clock.GetUtcNow() };
                s.UpdateNode(node);
            }
            if (peerPaths is not null)
            {
                NatReports.RecordObservations(s, node, peerPaths);
            }
            return node.Network; // otherwise last-seen and counters only: nothing members use changed
        }, ct);
        if (network is not null && transfers is not null)
        {
            // The charts' samples: only of a node that exists and of its own ext clients (checked in the write).
            var now = clock.GetUtcNow();
            if (report.RxBytes is { } rx && report.TxBytes is { } tx)
            {
                transfers.Record(TransferHistory.NodeKey(nodeId), now, rx, tx);
            }
            foreach (var c in clientCounters)
            {
                transfers.Record(TransferHistory.ExtClientKey(c.Id), now, c.RxBytes, c.TxBytes);
            }
        }
        // The paths first: the feed's event makes open console pages read the node again, paths included.
        if (peerPaths is not null)
        {
            paths.Set(nodeId, peerPaths);
        }
        if (network is not null)
        {
            statusFeed?.NodeSeen(network, nodeId);
        }
    }

    /// <summary>
    /// Makes a node a relay (<paramref name="on"/>) or an ordinary node again (issue #18). A relay needs an endpoint
    /// other nodes can reach (reported or observed), and a node whose owner opted out (<c>run --no-relay</c>) is refused.
    /// </summary>
    public Task<NodeDto> SetRelayAsync(string id, bool on, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            var node = s.FindNode(id) ?? throw DomainException.NotFound($"node '{id}'");
            if (on && node.NoRelay)
            {
                throw DomainException.Conflict("relay", $"node '{node.Name}' opted out of relaying (its agent runs with --no-relay)");
            }
            if (on && node.Endpoints.Count == 0 && node.MappedEndpoint is null)
            {
                throw DomainException.Conflict("relay", $"node '{node.Name}' has no endpoint other nodes could reach; give it one (node update --endpoint) first");
            }
            if (node.Relay != on)
            {
                node = node with { Relay = on };
                s.UpdateNode(node);
            }
            return WithRoles(s, s.FindNetwork(node.Network)!, [node])[0];
        }, ct);

    public Task<NodeDto> UpdateAsync(string id, UpdateNodeRequest request, CancellationToken ct)
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
        FieldRules.Text("internetGateway", request.InternetGateway, 64, errors);
        errors.ThrowIfAny();

        return store.WriteAsync(s =>
        {
            var node = s.FindNode(id) ?? throw DomainException.NotFound($"node '{id}'");
            if (request.Name is not null && request.Name != node.Name && s.NodeNames(node.Network).Contains(request.Name))
            {
                throw DomainException.Conflict("name", $"the name '{request.Name}' is taken in network '{node.Network}' (by another node, an ext client or a DNS entry)");
            }
            var internetGateway = request.InternetGateway is null ? node.InternetGateway
                : request.InternetGateway.Length == 0 ? null
                : InternetGatewayOf(s, node, request.InternetGateway);
            var next = node with
            {
                Name = request.Name ?? node.Name,
                ListenPort = request.ListenPort ?? node.ListenPort,
                Endpoints = endpoints?.ToList() ?? node.Endpoints,
                Tags = tags?.ToList() ?? node.Tags,
                InternetGateway = internetGateway,
            };
            s.UpdateNode(next);
            return WithRoles(s, s.FindNetwork(node.Network)!, [next])[0];
        }, ct);
    }

    /// <summary>Checks that <paramref name="gatewayId"/> can carry the node's internet traffic: another node of its network with a default route.</summary>
    private static string InternetGatewayOf(IStoreSession s, NodeRecord node, string gatewayId)
    {
        const string field = "internetGateway";
        if (gatewayId == node.Id)
        {
            throw DomainException.Invalid(field, "a node cannot be its own internet gateway");
        }
        var gateway = s.FindNode(gatewayId);
        if (gateway is null || gateway.Network != node.Network)
        {
            throw DomainException.Invalid(field, $"no node '{gatewayId}' in network '{node.Network}'");
        }
        if (s.FindEgress(gatewayId) is not { HasDefaultRoute: true })
        {
            throw DomainException.Invalid(field, $"node '{gateway.Name}' is not an internet gateway (its egress ranges need 0.0.0.0/0 or ::/0)");
        }
        return gatewayId;
    }

    /// <summary>Removes a node with its gateway roles and ext clients; their addresses are held back for the configured grace period.</summary>
    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        await store.WriteAsync(s =>
        {
            var node = s.FindNode(id) ?? throw DomainException.NotFound($"node '{id}'");
            // Its gateway roles and ext clients go with it, in this transaction.
            var clients = s.ListExtClientsOfGateway(id);
            s.DeleteNode(id);
            paths.Remove(id);
            transfers?.Forget(TransferHistory.NodeKey(id));
            foreach (var c in clients)
            {
                transfers?.Forget(TransferHistory.ExtClientKey(c.Id));
            }
            AddressHolds.Hold(s, node.Network, clients.SelectMany(c => new[] { c.Ipv4, c.Ipv6 }).Append(node.Ipv4).Append(node.Ipv6), clock.GetUtcNow() + options.AddressHold);
            return 0;
        }, ct);
        await brokerAccounts.NodeRemovedAsync(id, CancellationToken.None);
    }

    /// <summary>The node's full desired state: its interface and every other node of its network as a peer.</summary>
    public Task<NodeConfigDto> GetConfigAsync(string nodeId, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var node = s.FindNode(nodeId) ?? throw DomainException.NotFound($"node '{nodeId}'");
            var state = NetworkState.Load(s, s.FindNetwork(node.Network)!, options.DnsSuffix);
            return NodeConfigBuilder.Build(state, node) with { ServerId = identity.Id };
        }, ct);

    /// <summary>The node's recent transfer counters, oldest first (empty until its agent reports them).</summary>
    public Task<IReadOnlyList<TransferSampleDto>> GetTransferAsync(string id, CancellationToken ct) =>
        store.ReadAsync(s => s.FindNode(id) is null ? throw DomainException.NotFound($"node '{id}'")
            : transfers?.Get(TransferHistory.NodeKey(id)) ?? [], ct);

    /// <summary>Records that the node called in (its last-seen time).</summary>
    public async Task TouchAsync(string nodeId, CancellationToken ct)
    {
        var network = await store.WriteAsync(s =>
        {
            s.TouchNode(nodeId, clock.GetUtcNow());
            return s.FindNode(nodeId)?.Network;
        }, ct);
        if (network is not null)
        {
            statusFeed?.NodeSeen(network, nodeId);
        }
    }
}
