namespace Appliance.ApkTool.Package;

/// <summary>What a payload entry is.</summary>
public enum ApkEntryKind
{
    Directory,
    File,
    Symlink,
}
