using System.Net;
using System.Threading.RateLimiting;

namespace Appliance.Server.Security;

/// <summary>
/// Counts failed bearer authentications per source address (<see cref="RateLimitSettings.AuthFailuresPerMinute"/>
/// in a one-minute window). Only failures are counted and only failures are refused: a valid token is accepted
/// whatever its address did, so nobody is locked out by someone else's failures.
/// </summary>
public sealed class AuthFailureLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress>? _failures;

    public AuthFailureLimiter(RateLimitSettings settings)
    {
        if (settings.AuthFailuresPerMinute > 0)
        {
            _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ =>
                new FixedWindowRateLimiterOptions { PermitLimit = settings.AuthFailuresPerMinute, Window = RateLimitSettings.Window, QueueLimit = 0 }));
        }
    }

    /// <summary>True when <paramref name="source"/> has used up its failures for now, with how long until it may fail again.</summary>
    public bool IsBlocked(IPAddress? source, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_failures is null)
        {
            return false;
        }
        // Zero permits: asks whether any are left without spending one.
        using var lease = _failures.AttemptAcquire(Key(source), 0);
        return !lease.IsAcquired && RetryAfter(lease, out retryAfter);
    }

    /// <summary>Counts one failure; false when it was one too many (then the caller answers 429 after <paramref name="retryAfter"/>).</summary>
    public bool TryRecordFailure(IPAddress? source, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_failures is null)
        {
            return true;
        }
        using var lease = _failures.AttemptAcquire(Key(source));
        return lease.IsAcquired || !RetryAfter(lease, out retryAfter);
    }

    public void Dispose() => _failures?.Dispose();

    private static bool RetryAfter(RateLimitLease lease, out TimeSpan retryAfter)
    {
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : RateLimitSettings.Window;
        return true;
    }

    // A v4 client on a dual-stack socket is the same source as its v4 address; no address (in-process tests) is one source.
    private static IPAddress Key(IPAddress? source) =>
        source is null ? IPAddress.None : source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
}
