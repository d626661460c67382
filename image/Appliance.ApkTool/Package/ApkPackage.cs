using System.Globalization;
using System.Text;

namespace Appliance.ApkTool.Package;

/// <summary>An apk-tools 3 package as read back by <see cref="ApkPackageReader"/>, every hash already checked.</summary>
public sealed record ApkPackage(
    ApkPackageInfo Info,
    ulong InstalledSize,
    byte[] Identity,
    IReadOnlyList<ApkDirectory> Directories,
    IReadOnlyDictionary<ApkScript, string> Scripts,
    int SignatureBlocks,
    string Compression)
{
    /// <summary>The payload as entries (directories, files with their bytes, links), the writer's input form.</summary>
    public IReadOnlyList<ApkPayloadEntry> Payload()
    {
        var entries = new List<ApkPayloadEntry>();
        foreach (var dir in Directories)
        {
            entries.Add(ApkPayloadEntry.Directory(dir.Path, dir.Mode));
            foreach (var f in dir.Files)
            {
                var path = dir.Path.Length == 0 ? f.Name : dir.Path + "/" + f.Name;
                entries.Add(f.LinkTarget is { } target ? ApkPayloadEntry.Symlink(path, target) with { Mode = f.Mode } : ApkPayloadEntry.File(path, f.Mode, f.Content));
            }
        }
        return entries;
    }

    /// <summary>A listing, one line per path: mode, owner, size, path, and the link target or the file's SHA-256.</summary>
    public string Listing()
    {
        var text = new StringBuilder();
        foreach (var dir in Directories)
        {
            text.Append(CultureInfo.InvariantCulture, $"d{Convert.ToString(dir.Mode, 8).PadLeft(4, '0')} {dir.User}:{dir.Group} /{dir.Path}\n");
            foreach (var f in dir.Files)
            {
                var path = dir.Path.Length == 0 ? "/" + f.Name : $"/{dir.Path}/{f.Name}";
                text.Append(f.LinkTarget is { } target
                    ? string.Create(CultureInfo.InvariantCulture, $"l{Convert.ToString(f.Mode, 8).PadLeft(4, '0')} {f.User}:{f.Group} {path} -> {target}\n")
                    : string.Create(CultureInfo.InvariantCulture, $"-{Convert.ToString(f.Mode, 8).PadLeft(4, '0')} {f.User}:{f.Group} {f.Size} {path} sha256:{Convert.ToHexStringLower(f.Sha256!)}\n"));
            }
        }
        return text.ToString();
    }
}
