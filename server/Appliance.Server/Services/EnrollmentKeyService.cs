using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Security;
using Appliance.Server.Services.Validation;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>Issues enrollment keys (shown once, inside a ready join token) and lists or revokes them.</summary>
public sealed class EnrollmentKeyService(IApplianceStore store, TimeProvider clock, ServerOptions options, ServerTls tls)
{
    /// <summary>The most networks one key may grant.</summary>
    public const int MaxNetworks = 32;

    public Task<List<EnrollmentKeyDto>> ListAsync(CancellationToken ct) =>
        store.ReadAsync(s => s.ListEnrollmentKeys().Select(k => k.ToDto()).ToList(), ct);

    public Task<EnrollmentKeyDto> CreateAsync(CreateEnrollmentKeyRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = new ValidationErrors();
        if (request.Networks is null || request.Networks.Count == 0)
        {
            errors.Add("networks", "name at least one network");
        }
        else if (request.Networks.Count > MaxNetworks)
        {
            errors.Add("networks", $"at most {MaxNetworks} networks, got {request.Networks.Count}");
        }
        else
        {
            for (var i = 0; i < request.Networks.Count; i++)
            {
                if (!Names.IsDnsLabel(request.Networks[i]))
                {
                    errors.Add($"networks[{i}]", "must be a network name (a DNS label: 1-63 of a-z, 0-9 and '-')");
                }
            }
        }
        if (request.Uses is { } uses && uses < 1)
        {
            errors.Add("uses", "must be 1 or more (leave it out for an unlimited key)");
        }
        if (request.ExpiresAt is { } exp && exp <= now)
        {
            errors.Add("expiresAt", "is in the past");
        }
        var tags = request.Tags ?? [];
        FieldRules.Tags(tags, errors);
        errors.ThrowIfAny();

        var secret = Secrets.NewEnrollmentKey();
        return store.WriteAsync(s =>
        {
            var missing = new ValidationErrors();
            for (var i = 0; i < request.Networks!.Count; i++)
            {
                if (s.FindNetwork(request.Networks[i]) is null)
                {
                    missing.Add($"networks[{i}]", $"no network named '{request.Networks[i]}'");
                }
            }
            missing.ThrowIfAny();
            var record = new EnrollmentKeyRecord(
                Guid.NewGuid().ToString("N")[..16], Secrets.Hash(secret), request.Networks.Distinct().ToList(),
                request.Uses, request.ExpiresAt?.ToUniversalTime(), tags.Distinct().ToList(), now);
            s.InsertEnrollmentKey(record);
            if (ActivityScope.Current is { } activity)
            {
                activity.About(record.Networks[0]);
                activity.Describe($"enrollment key {record.Id} for {string.Join(", ", record.Networks)}");
            }
            var token = new JoinToken(options.PublicUrl, secret, tls.TokenFingerprint, record.ExpiresAt).Encode();
            return record.ToDto(token);
        }, ct);
    }

    public Task DeleteAsync(string id, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            var key = s.FindEnrollmentKey(id) ?? throw DomainException.NotFound($"enrollment key '{id}'");
            s.DeleteEnrollmentKey(id);
            if (ActivityScope.Current is { } activity)
            {
                if (key.Networks.Count > 0)
                {
                    activity.About(key.Networks[0]);
                }
                activity.Describe($"enrollment key {id} revoked");
            }
            return 0;
        }, ct);
}
