namespace Appliance.Server.WebConsole;

/// <summary>What the console's script needs of its session: who is signed in, the CSRF token it sends, and after how many seconds of silence a node counts as offline.</summary>
public sealed record ConsoleSessionDto(string? Name, string? CsrfToken, int OfflineAfterSeconds);
