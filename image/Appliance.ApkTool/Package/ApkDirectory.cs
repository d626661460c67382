namespace Appliance.ApkTool.Package;

/// <summary>A directory as a package lists it ("" is the root) with its permission bits, owner and files.</summary>
public sealed record ApkDirectory(string Path, int Mode, string User, string Group, IReadOnlyList<ApkFile> Files);
