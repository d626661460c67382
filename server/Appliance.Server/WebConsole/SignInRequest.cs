namespace Appliance.Server.WebConsole;

/// <summary>POST /console/sign-in: the account, its password and the sign-in page's token.</summary>
public sealed record SignInRequest(string? Name, string? Password, string? LoginToken);
