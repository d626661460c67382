namespace Appliance.Server.Security;

/// <summary>One signed-in browser: its cookie id, its CSRF token, the account and when it began.</summary>
public sealed record ConsoleSession(string Id, string CsrfToken, string Account, DateTimeOffset CreatedAt)
{
    public DateTimeOffset LastUsed { get; set; }
}
