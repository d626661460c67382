using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// Custom names in a network's zone (A, AAAA, CNAME). They reach every member with the mesh state: the store records
/// each change (and moves the network's version) like any other.
/// </summary>
public sealed class DnsEntryService(IApplianceStore store, TimeProvider clock)
{
    public static readonly IReadOnlyList<string> Types = ["A", "AAAA", "CNAME"];

    public Task<List<DnsEntryDto>> ListAsync(string network, CancellationToken ct) =>
        store.ReadAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            return s.ListDnsEntries(network).Select(d => d.ToDto()).ToList();
        }, ct);

    public Task<DnsEntryDto> CreateAsync(string network, CreateDnsEntryRequest request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var (name, type, value) = Validate(request, errors);
        errors.ThrowIfAny();
        return store.WriteAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            var existing = s.ListDnsEntries(network).Where(d => d.Name == name).ToList();
            if (existing.Count == 0 && s.NodeNames(network).Contains(name))
            {
                throw DomainException.Conflict("name", $"'{name}' is already a node or ext client of network '{network}'");
            }
            if (existing.Any(d => d.Type == type && d.Value == value))
            {
                throw DomainException.Conflict("name", $"'{name}' {type} {value} already exists");
            }
            // RFC 1034 3.6.2: a name with a CNAME has no other data.
            if (existing.Count > 0 && (type == "CNAME" || existing.Any(d => d.Type == "CNAME")))
            {
                throw DomainException.Conflict("type", $"'{name}' already has {string.Join(", ", existing.Select(d => d.Type).Distinct())} records; a CNAME cannot share its name with other records");
            }
            var record = new DnsEntryRecord("dns-" + Guid.NewGuid().ToString("N")[..16], network, name, type, value, clock.GetUtcNow());
            s.InsertDnsEntry(record);
            return record.ToDto();
        }, ct);
    }

    public Task DeleteAsync(string network, string id, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            _ = s.FindNetwork(network) ?? throw DomainException.NotFound($"network '{network}'");
            if (!s.DeleteDnsEntry(network, id))
            {
                throw DomainException.NotFound($"DNS entry '{id}' in network '{network}'");
            }
            return 0;
        }, ct);

    /// <summary>
    /// Name: one or more DNS labels relative to the zone (lower case). Type: A, AAAA or CNAME (any case). Value: an IPv4
    /// address for A, an IPv6 address for AAAA, a domain name for CNAME (absolute with a trailing dot, else relative to the zone).
    /// </summary>
    public static (string Name, string Type, string Value) Validate(CreateDnsEntryRequest request, ValidationErrors errors)
    {
        var name = request.Name?.Trim() ?? string.Empty;
        if (name.Length == 0)
        {
            errors.Add("name", "is required (relative to the zone: 'printer' becomes printer.<network>)");
        }
        else if (name.EndsWith('.') || name.Length > 200 || !name.Split('.').All(Names.IsDnsLabel))
        {
            errors.Add("name", "must be DNS labels joined by dots, relative to the zone (1-63 of a-z, 0-9 and '-' each, no trailing dot)");
        }
        var type = request.Type?.Trim().ToUpperInvariant() ?? string.Empty;
        if (!Types.Contains(type))
        {
            errors.Add("type", $"must be one of {string.Join(", ", Types)}");
        }
        var value = request.Value?.Trim() ?? string.Empty;
        switch (type)
        {
            case "A" when !IPAddress.TryParse(value, out var a) || a.AddressFamily != AddressFamily.InterNetwork || a.ToString() != value:
                errors.Add("value", $"'{request.Value}' is not an IPv4 address (dotted quad)");
                break;
            case "AAAA" when !IPAddress.TryParse(value, out var aaaa) || aaaa.AddressFamily != AddressFamily.InterNetworkV6 || value.Contains('%', StringComparison.Ordinal):
                errors.Add("value", $"'{request.Value}' is not an IPv6 address");
                break;
            case "AAAA":
                value = IPAddress.Parse(value).ToString();
                break;
            case "CNAME" when !GatewayValidation.IsDomainName(value.ToLowerInvariant()):
                errors.Add("value", $"'{request.Value}' is not a domain name");
                break;
            case "CNAME":
                value = value.ToLowerInvariant();
                if (value.TrimEnd('.') == name)
                {
                    errors.Add("value", "a CNAME cannot point at itself");
                }
                break;
        }
        return (name, type, value);
    }
}
