using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>Creates, changes and removes networks; every check runs in the same transaction as its write.</summary>
public sealed class NetworkService(IApplianceStore store, TimeProvider clock, Mqtt.IBrokerAccounts brokerAccounts)
{
    public Task<List<NetworkDto>> ListAsync(CancellationToken ct) =>
        store.ReadAsync(s => s.ListNetworks().Select(n => n.ToDto(s.CountNodes(n.Name))).ToList(), ct);

    public Task<NetworkDto> GetAsync(string name, CancellationToken ct) =>
        store.ReadAsync(s => (s.FindNetwork(name) ?? throw DomainException.NotFound($"network '{name}'")).ToDto(s.CountNodes(name)), ct);

    public Task<NetworkDto> CreateAsync(CreateNetworkRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        NetworkValidation.Name(request.Name, errors);
        var v4 = NetworkValidation.Ipv4(request.Ipv4Cidr, errors, required: true);
        var v6 = NetworkValidation.Ipv6(request.Ipv6Cidr, errors);
        NetworkValidation.Settings(request.ListenPort, request.Mtu, request.Keepalive, !string.IsNullOrWhiteSpace(request.Ipv6Cidr), errors);
        errors.ThrowIfAny();

        return store.WriteAsync(s =>
        {
            if (s.FindNetwork(request.Name!) is not null)
            {
                throw DomainException.Conflict("name", $"a network named '{request.Name}' already exists");
            }
            var conflicts = new ValidationErrors();
            NetworkValidation.Overlaps(request.Name!, v4, v6, s.ListNetworks(), conflicts);
            conflicts.ThrowIfAny(DomainErrorKind.Conflict);
            var record = new NetworkRecord(
                request.Name!, v4!.Value, v6,
                request.ListenPort ?? NetworkValidation.DefaultListenPort,
                request.Mtu ?? NetworkValidation.DefaultMtu,
                request.Keepalive ?? NetworkValidation.DefaultKeepalive,
                Version: 1,
                clock.GetUtcNow())
            {
                Epoch = NetworkRecord.NewEpoch(),
                Punching = request.Punching ?? true,
            };
            s.InsertNetwork(record);
            if (ActivityScope.Current is { } activity)
            {
                activity.About(record.Name);
                activity.Describe($"network {record.Name} created ({record.Ipv4Cidr}{(v6 is null ? "" : ", " + v6)})");
            }
            return record.ToDto(0);
        }, ct);
    }

    public Task<NetworkDto> UpdateAsync(string name, UpdateNetworkRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var v4 = NetworkValidation.Ipv4(request.Ipv4Cidr, errors, required: false);
        var v6 = NetworkValidation.Ipv6(request.Ipv6Cidr, errors);
        errors.ThrowIfAny();

        return store.WriteAsync(s =>
        {
            var current = s.FindNetwork(name) ?? throw DomainException.NotFound($"network '{name}'");
            var removeV6 = request.Ipv6Cidr is { Length: 0 };
            var next = current with
            {
                Ipv4Cidr = v4 ?? current.Ipv4Cidr,
                Ipv6Cidr = removeV6 ? null : v6 ?? current.Ipv6Cidr,
                ListenPort = request.ListenPort ?? current.ListenPort,
                Mtu = request.Mtu ?? current.Mtu,
                Keepalive = request.Keepalive ?? current.Keepalive,
                Punching = request.Punching ?? current.Punching,
            };
            var settingErrors = new ValidationErrors();
            NetworkValidation.Settings(request.ListenPort, next.Mtu, request.Keepalive, next.Ipv6Cidr is not null, settingErrors);
            settingErrors.ThrowIfAny();
            var nodes = s.CountNodes(name);
            if (nodes > 0 && (!next.Ipv4Cidr.Equals(current.Ipv4Cidr) || !Nullable.Equals(next.Ipv6Cidr, current.Ipv6Cidr)))
            {
                throw DomainException.Conflict(
                    v4 is not null ? "ipv4Cidr" : "ipv6Cidr",
                    $"the address ranges of a network with nodes cannot change ({nodes} nodes hold addresses in it)");
            }
            var conflicts = new ValidationErrors();
            NetworkValidation.Overlaps(name, v4, v6, s.ListNetworks(), conflicts);
            conflicts.ThrowIfAny(DomainErrorKind.Conflict);
            if (next == current)
            {
                return current.ToDto(nodes);
            }
            s.UpdateNetwork(next);
            // Read back: the store moved the version with the change, and the write's own reads see it.
            return s.FindNetwork(name)!.ToDto(nodes);
        }, ct);
    }

    /// <summary>
    /// Deletes a network; one that still has nodes needs <paramref name="force"/>, which deletes them too (and their
    /// broker logins, once the transaction is committed).
    /// </summary>
    public async Task DeleteAsync(string name, bool force, CancellationToken ct)
    {
        var removed = await store.WriteAsync(s =>
        {
            _ = s.FindNetwork(name) ?? throw DomainException.NotFound($"network '{name}'");
            var nodes = s.ListNodes(name);
            if (nodes.Count > 0 && !force)
            {
                throw DomainException.Conflict($"network '{name}' has {nodes.Count} nodes; delete them first or pass ?force=true");
            }
            foreach (var node in nodes)
            {
                s.DeleteNode(node.Id);
            }
            // A key must never join a later network that happens to reuse the name.
            foreach (var key in s.ListEnrollmentKeys().Where(k => k.Networks.Contains(name)))
            {
                var remaining = key.Networks.Where(n => n != name).ToList();
                if (remaining.Count == 0)
                {
                    s.DeleteEnrollmentKey(key.Id);
                }
                else
                {
                    s.SetEnrollmentKeyNetworks(key.Id, remaining);
                }
            }
            s.DeleteNetwork(name);
            return nodes.Select(n => n.Id).ToList();
        }, ct);
        // The store told the mesh on commit (the network removed), so the publisher drops what it kept of it: a network
        // created later under the same name starts at version 1 again and must not be served any of it.
        foreach (var id in removed)
        {
            await brokerAccounts.NodeRemovedAsync(id, CancellationToken.None);
        }
    }
}
