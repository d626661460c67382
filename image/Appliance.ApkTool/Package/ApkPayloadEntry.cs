namespace Appliance.ApkTool.Package;

/// <summary>
/// One entry of a package's payload: a directory, a regular file with its bytes or a symbolic link, at
/// <see cref="Path"/> relative to the root ("" is the root directory itself, "usr/bin" a directory, "usr/bin/x" a
/// file), with its permission bits. Owner and group are root: the package installs system files.
/// </summary>
public sealed record ApkPayloadEntry(string Path, ApkEntryKind Kind, int Mode, ReadOnlyMemory<byte> Content, string? Target)
{
    public static ApkPayloadEntry Directory(string path, int mode = 0b111_101_101) => new(path, ApkEntryKind.Directory, mode, ReadOnlyMemory<byte>.Empty, null);

    public static ApkPayloadEntry File(string path, int mode, ReadOnlyMemory<byte> content) => new(path, ApkEntryKind.File, mode, content, null);

    /// <summary>A symbolic link; its mode is 0777 as Linux gives every link.</summary>
    public static ApkPayloadEntry Symlink(string path, string target) => new(path, ApkEntryKind.Symlink, 0b111_111_111, ReadOnlyMemory<byte>.Empty, target);

    /// <summary>The directory the entry is in ("" for the root's children); the root itself has none.</summary>
    public string Parent => Path.LastIndexOf('/') is var i and >= 0 ? Path[..i] : "";

    public string Name => Path[(Path.LastIndexOf('/') + 1)..];
}
