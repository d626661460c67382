using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// Ext clients: plain WireGuard peers of an ingress gateway. Their addresses come from the network's ranges through
/// the same allocator as nodes; their names share the network's namespace with nodes and DNS entries.
/// </summary>
public sealed class ExtClientService(IApplianceStore store, TimeProvider clock, ServerOptions options, Mesh.ExtClientExpiryWatcher expiries,
    TransferHistory? transfers = null)
{
    public const string IdPrefix = "ext-";

    /// <summary>The most ext-client entries one gateway report may carry; a longer list is ignored whole.</summary>
    public const int MaxClientReports = 4096;

    public Task<List<ExtClientDto>> ListAsync(string network, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var now = clock.GetUtcNow();
            return s.ListExtClients(network).Select(c => c.ToDto(now)).ToList();
        }, ct);

    public Task<ExtClientDto> GetAsync(string id, CancellationToken ct) =>
        store.ReadAsync(s => Find(s, id).ToDto(clock.GetUtcNow()), ct);

    public async Task<ExtClientDto> CreateAsync(string network, CreateExtClientRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new ValidationErrors();
        if (request.Name is not null && !Names.IsDnsLabel(request.Name))
        {
            errors.Add("name", "must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
        if (string.IsNullOrWhiteSpace(request.Gateway))
        {
            errors.Add("gateway", "is required: the id (or name) of an ingress gateway node of the network");
        }
        else
        {
            FieldRules.Text("gateway", request.Gateway, 64, errors);
        }
        if (request.PublicKey is not null && (!WgKey.TryParse(request.PublicKey, out var supplied) || supplied.IsZero))
        {
            errors.Add("publicKey", "must be a WireGuard public key (44 characters of base64), or left out for a server-generated pair");
        }
        ExpiryRules(request.ExpiresAt, now, errors);
        errors.ThrowIfAny();

        string publicKey;
        string? privateKey = null;
        if (request.PublicKey is null)
        {
            var pair = Crypto.X25519.GenerateKeyPair();
            (publicKey, privateKey) = (pair.PublicKey.ToString(), pair.PrivateKey.ToString());
        }
        else
        {
            publicKey = WgKey.Parse(request.PublicKey).ToString();
        }
        var id = IdPrefix + Guid.NewGuid().ToString("N")[..16];
        var created = await store.WriteAsync(s =>
        {
            var net = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var gateway = s.FindNode(request.Gateway!) is { } byId && byId.Network == network
                ? byId
                : s.ListNodes(network).FirstOrDefault(n => n.Name == request.Gateway)
                    ?? throw DomainException.Invalid("gateway", $"no node '{request.Gateway}' in network '{network}'");
            if (s.FindIngress(gateway.Id) is null)
            {
                throw DomainException.Conflict("gateway", $"node '{gateway.Name}' is not an ingress gateway (PUT /api/v1/nodes/{gateway.Id}/ingress first)");
            }
            var taken = s.NodeNames(network);
            if (request.Name is not null && taken.Contains(request.Name))
            {
                throw DomainException.Conflict("name", $"the name '{request.Name}' is taken in network '{network}' (by a node, an ext client or a DNS entry)");
            }
            if (s.PublicKeyInUse(network, publicKey))
            {
                throw DomainException.Conflict("publicKey", $"a node or ext client with this public key is already in network '{network}'");
            }
            var ipv4 = s.NextFreeAddress(network, net.Ipv4Cidr, now);
            var ipv6 = net.Ipv6Cidr is { } v6 ? s.NextFreeAddress(network, v6, now) : null;
            var record = new ExtClientRecord(
                id, network, request.Name ?? JoinService.UniqueName("client", taken), gateway.Id, publicKey,
                request.PublicKey is null ? privateKey : null, ipv4, ipv6, request.Enabled ?? true,
                request.ExpiresAt?.ToUniversalTime(), now);
            s.InsertExtClient(record);
            return record.ToDto(now);
        }, ct);
        if (request.ExpiresAt is not null)
        {
            expiries.Poke();
        }
        return created;
    }

    public async Task<ExtClientDto> UpdateAsync(string id, UpdateExtClientRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new ValidationErrors();
        if (request.Name is not null && !Names.IsDnsLabel(request.Name))
        {
            errors.Add("name", "must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
        if (request.ClearExpiry == true && request.ExpiresAt is not null)
        {
            errors.Add("clearExpiry", "cannot be combined with expiresAt");
        }
        ExpiryRules(request.ExpiresAt, now, errors);
        errors.ThrowIfAny();

        var updated = await store.WriteAsync(s =>
        {
            var client = Find(s, id);
            if (request.Name is not null && request.Name != client.Name && s.NodeNames(client.Network).Contains(request.Name))
            {
                throw DomainException.Conflict("name", $"the name '{request.Name}' is taken in network '{client.Network}' (by a node, an ext client or a DNS entry)");
            }
            var expires = request.ClearExpiry == true ? null : request.ExpiresAt?.ToUniversalTime() ?? client.ExpiresAt;
            var next = client with
            {
                Name = request.Name ?? client.Name,
                Enabled = request.Enabled ?? client.Enabled,
                ExpiresAt = expires,
                ExpiryPublished = expires == client.ExpiresAt && client.ExpiryPublished,
            };
            s.UpdateExtClient(next);
            return next.ToDto(now);
        }, ct);
        if (request.ExpiresAt is not null || request.ClearExpiry == true)
        {
            expiries.Poke();
        }
        return updated;
    }

    /// <summary>Deletes the client; its addresses are held back for the configured grace period.</summary>
    public Task DeleteAsync(string id, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            var client = Find(s, id);
            s.DeleteExtClient(id);
            AddressHolds.Hold(s, client.Network, [client.Ipv4, client.Ipv6], clock.GetUtcNow() + options.AddressHold);
            transfers?.Forget(TransferHistory.ExtClientKey(id));
            return 0;
        }, ct);

    /// <summary>The client's recent transfer counters as its gateway reported them, oldest first.</summary>
    public Task<IReadOnlyList<TransferSampleDto>> GetTransferAsync(string id, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            _ = Find(s, id);
            return transfers?.Get(TransferHistory.ExtClientKey(id)) ?? [];
        }, ct);

    /// <summary>The client's wg-quick file and the name to save it as. A disabled or expired client gets 409: its config would not work.</summary>
    public Task<(string FileName, string Text)> ConfigAsync(string id, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            var client = Find(s, id);
            if (client.IsExpired(clock.GetUtcNow()))
            {
                throw DomainException.Conflict($"ext client '{client.Name}' expired at {client.ExpiresAt:O}; extend it (PATCH expiresAt or clearExpiry) to get a working config");
            }
            if (!client.Enabled)
            {
                throw DomainException.Conflict($"ext client '{client.Name}' is disabled; enable it (PATCH enabled=true) to get a working config");
            }
            var gateway = s.FindNode(client.Gateway)!;
            var ingress = s.FindIngress(gateway.Id)!;
            var network = s.FindNetwork(client.Network)!;
            var endpoint = NodeConfigBuilder.FormatEndpoints(gateway).FirstOrDefault()
                ?? throw DomainException.Conflict($"gateway '{gateway.Name}' has no endpoint yet (it reports its addresses when it connects, or PATCH /api/v1/nodes/{gateway.Id} endpoints)");
            var text = WgQuickConfig.Render(client, gateway, ingress, network, s.ListEgress(network.Name),
                NetworkState.ZoneOf(network.Name, options.DnsSuffix), endpoint);
            return (client.Name + ".conf", text);
        }, ct);

    /// <summary>
    /// Records what a gateway reported about its ext clients: counters and last handshake, only for clients attached to
    /// that gateway (a report about anyone else's client is ignored). Not a change members are told of: nothing they use changes.
    /// </summary>
    /// <summary>Stores the counters of the gateway's own clients; returns the reports it took (others' ids are ignored).</summary>
    public static IReadOnlyList<ExtClientReport> RecordCounters(IStoreSession s, string gatewayId, IReadOnlyList<ExtClientReport>? reports)
    {
        if (reports is null || reports.Count > MaxClientReports)
        {
            return []; // more clients than any gateway can have: not a report to trust
        }
        var taken = new List<ExtClientReport>(reports.Count);
        foreach (var r in reports)
        {
            if (r.RxBytes >= 0 && r.TxBytes >= 0 && s.FindExtClient(r.Id) is { } c && c.Gateway == gatewayId)
            {
                s.SetExtClientCounters(c.Id, r.RxBytes, r.TxBytes, r.LastHandshake);
                taken.Add(r);
            }
        }
        return taken;
    }

    private static ExtClientRecord Find(IStoreSession s, string id) => s.FindExtClient(id) ?? throw DomainException.NotFound($"ext client '{id}'");

    private static void ExpiryRules(DateTimeOffset? expiresAt, DateTimeOffset now, ValidationErrors errors)
    {
        if (expiresAt is { } e && e <= now)
        {
            errors.Add("expiresAt", "is in the past (disable the client instead to stop it now)");
        }
    }
}
