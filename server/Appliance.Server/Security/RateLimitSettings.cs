using System.Globalization;

namespace Appliance.Server.Security;

/// <summary>
/// The <c>RateLimits:*</c> settings, per source address and minute: <c>RateLimits:JoinsPerMinute</c> (join requests,
/// default 30) and <c>RateLimits:AuthFailuresPerMinute</c> (requests with a bearer token that is neither the admin
/// token nor a node credential, default 20). 0 turns a limit off. A bad value stops the server naming the key.
/// </summary>
public sealed class RateLimitSettings
{
    public const int DefaultJoinsPerMinute = 30;
    public const int DefaultAuthFailuresPerMinute = 20;

    // A fixed window's permits are counted in an int; far beyond any sensible limit anyway.
    private const int MaxPerMinute = 1_000_000;

    public int JoinsPerMinute { get; private init; } = DefaultJoinsPerMinute;

    public int AuthFailuresPerMinute { get; private init; } = DefaultAuthFailuresPerMinute;

    /// <summary>The window both limits count in.</summary>
    public static TimeSpan Window => TimeSpan.FromMinutes(1);

    public static RateLimitSettings Parse(IConfiguration configuration) => new()
    {
        JoinsPerMinute = PerMinute(configuration, "RateLimits:JoinsPerMinute", DefaultJoinsPerMinute),
        AuthFailuresPerMinute = PerMinute(configuration, "RateLimits:AuthFailuresPerMinute", DefaultAuthFailuresPerMinute),
    };

    private static int PerMinute(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxPerMinute
            ? n
            : throw new InvalidOperationException($"{key} must be a whole number from 0 (no limit) to {MaxPerMinute}, not '{text}'");
    }
}
