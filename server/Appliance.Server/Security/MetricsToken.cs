using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// The read-only scrape token for GET /metrics (<c>appliance-server metrics-token create|revoke</c>): at most one, its
/// SHA-256 kept in the store's settings (never the token), checked in constant time on each scrape, so a revoke or
/// a new token takes effect at once, even from another process.
/// </summary>
public static class MetricsToken
{
    public const string HashSetting = "metrics_token_hash";

    /// <summary>Makes a new token (the previous one stops working) and returns it: shown once.</summary>
    public static async Task<string> CreateAsync(IApplianceStore store, CancellationToken ct)
    {
        var token = Secrets.NewMetricsToken();
        await store.WriteAsync(s => { s.SetSetting(HashSetting, Secrets.Hash(token)); return 0; }, ct);
        return token;
    }

    /// <summary>Forgets the token; false when there was none.</summary>
    public static Task<bool> RevokeAsync(IApplianceStore store, CancellationToken ct) =>
        store.WriteAsync(s =>
        {
            if (string.IsNullOrEmpty(s.GetSetting(HashSetting)))
            {
                return false;
            }
            s.SetSetting(HashSetting, string.Empty);
            return true;
        }, ct);

    public static async Task<bool> MatchesAsync(IApplianceStore store, string presented, CancellationToken ct)
    {
        var hash = await store.ReadAsync(s => s.GetSetting(HashSetting), ct);
        return !string.IsNullOrEmpty(hash) && Secrets.Matches(presented, hash);
    }
}
