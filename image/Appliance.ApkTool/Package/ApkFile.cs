namespace Appliance.ApkTool.Package;

/// <summary>
/// A file as a package lists it: name in its directory, permission bits, owner, size, time, and either the SHA-256
/// of its bytes (a regular file, with its bytes from the DATA blocks) or a link target.
/// </summary>
public sealed record ApkFile(string Name, int Mode, string User, string Group, ulong Size, ulong MTime, byte[]? Sha256, string? LinkTarget, ReadOnlyMemory<byte> Content);
