using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Security;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// Registers a device: checks the enrollment key, takes one of its uses, allocates addresses and stores the node,
/// all in one transaction, so a failure anywhere gives the use back and two racing joins on a
/// single-use key get exactly one success.
/// </summary>
public sealed class JoinService(IApplianceStore store, TimeProvider clock, SigningKeyRing signingKeys, Mqtt.IMeshBus bus, Mqtt.IBrokerAccounts brokerAccounts,
    Metrics.ServerMetrics? metrics = null)
{
    /// <summary>Far above an enrollment key's length ("apk." and 43 characters of base64url); bounds what gets hashed.</summary>
    public const int MaxKeyLength = 256;

    public async Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Key))
        {
            errors.Add("key", "is required");
        }
        else if (request.Key.Length > MaxKeyLength)
        {
            errors.Add("key", $"is longer than {MaxKeyLength} characters, so it is no enrollment key");
        }
        if (!WgKey.TryParse(request.PublicKey, out var publicKey) || publicKey.IsZero)
        {
            errors.Add("publicKey", "must be a WireGuard public key (44 characters of base64)");
        }
        FieldRules.Text("hostname", request.Hostname, 253, errors, required: true);
        if (request.ListenPort is { } port && port is < 1 or > 65535)
        {
            errors.Add("listenPort", "must be 1-65535");
        }
        var endpoints = request.Endpoints ?? [];
        FieldRules.Endpoints(endpoints, errors);
        FieldRules.Text("os", request.Os, 64, errors);
        FieldRules.Text("version", request.Version, 64, errors);
        if (request.Network is not null && !Names.IsDnsLabel(request.Network))
        {
            errors.Add("network", "must be a network name (a DNS label: 1-63 of a-z, 0-9 and '-')");
        }
        errors.ThrowIfAny();

        // Stored and compared in canonical base64: two spellings of one key (differing only in the unused low bits of
        // the last character) are one key, so the second join with the other spelling is a conflict, not a new node.
        var canonicalKey = publicKey.ToString();
        var keyHash = Secrets.Hash(request.Key!);
        var nodeId = Guid.NewGuid().ToString("N");
        var credential = Secrets.NewNodeCredential(nodeId);
        var now = clock.GetUtcNow();

        var joined = await store.WriteAsync(s =>
        {
            var key = s.FindEnrollmentKeyBySecretHash(keyHash)
                ?? throw DomainException.Forbidden("the enrollment key is not valid (unknown, or deleted by an admin)");
            if (key.ExpiresAt is { } exp && exp <= now)
            {
                throw DomainException.Forbidden($"the enrollment key expired at {exp:O}");
            }
            var networkName = request.Network ?? key.Networks[0];
            if (!key.Networks.Contains(networkName))
            {
                throw DomainException.Invalid("network", $"the enrollment key does not grant network '{networkName}' (it grants: {string.Join(", ", key.Networks)})");
            }
            var network = s.FindNetwork(networkName)
                ?? throw DomainException.Conflict("network", $"network '{networkName}' named by the key no longer exists");
            if (s.PublicKeyInUse(networkName, canonicalKey))
            {
                throw DomainException.Conflict("publicKey", $"a node with this public key is already in network '{networkName}'");
            }
            if (!s.TryConsumeEnrollmentKeyUse(key.Id))
            {
                throw DomainException.Forbidden("the enrollment key has no uses left");
            }

            var ipv4 = s.NextFreeAddress(networkName, network.Ipv4Cidr, now);
            var ipv6 = network.Ipv6Cidr is { } v6 ? s.NextFreeAddress(networkName, v6, now) : null;
            var label = Names.ToDnsLabel(request.Hostname);
            var name = UniqueName(label, s.NamesLike(networkName, label));
            var node = new NodeRecord(
                nodeId, networkName, name, request.Hostname!, canonicalKey, ipv4, ipv6,
                request.ListenPort ?? network.ListenPort, endpoints.ToList(),
                request.Os ?? string.Empty, request.Version ?? string.Empty, key.Tags,
                Secrets.Hash(credential), key.Id, now, now);
            s.InsertNode(node);
            ActivityScope.Current?.NameActor($"{name} (key {key.Id})");
            return new JoinResponse(
                node.Id, node.Name, credential,
                NodeConfigBuilder.WithPrefix(ipv4, network.Ipv4Cidr),
                network.Ipv6Cidr is { } n6 ? NodeConfigBuilder.WithPrefix(ipv6, n6) : null,
                node.ListenPort, network.ToSettings(), bus.DeviceUrl, signingKeys.Current.PublicKey,
                bus.DeviceUrls is { Count: > 1 } cluster ? cluster : null);
        }, ct);
        // The broker login needs the plaintext credential, which exists only here; not cancellable once committed.
        try
        {
            await brokerAccounts.NodeJoinedAsync(joined.NodeId, joined.Network.Name, joined.Credential, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An external broker that could not take the login (a cluster's management API down): a node that can
            // never follow its updates is worse than a failed join, so the node goes again (its key use stays spent).
            await store.WriteAsync(s =>
            {
                s.DeleteNode(joined.NodeId);
                return 0;
            }, CancellationToken.None);
            throw new InvalidOperationException($"the join was taken back: the broker did not accept the node's login ({e.Message})", e);
        }
        metrics?.Joined(joined.Network.Name);
        return joined;
    }

    /// <summary>The label itself, or label-2, label-3... whichever is free in the network.</summary>
    public static string UniqueName(string label, IReadOnlySet<string> taken)
    {
        if (!taken.Contains(label))
        {
            return label;
        }
        for (var i = 2; ; i++)
        {
            var candidate = $"{label}-{i}";
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
