namespace Appliance.Server.Services;

/// <summary>A web console account as `admin list` shows it (never its hash).</summary>
public sealed record AdminAccountDto(string Name, DateTimeOffset CreatedAt, DateTimeOffset PasswordChangedAt);
