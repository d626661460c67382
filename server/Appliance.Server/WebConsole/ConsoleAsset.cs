namespace Appliance.Server.WebConsole;

/// <summary>One embedded console file: its bytes, content type and ETag.</summary>
public sealed record ConsoleAsset(string Name, byte[] Bytes, string ContentType, string ETag);
