using Appliance.ApkTool.Package;

namespace Appliance.ApkTool;

/// <summary>
/// Reads a staged package root from disk into payload entries: directories, regular files (their bytes and
/// permission bits) and symbolic links (not followed). Owners are not read: the package installs everything as root,
/// as the .ipk does. The root is a staging directory the build made, so nothing else (a device node, a FIFO) is
/// expected in it.
/// </summary>
public static class PayloadDirectory
{
    public static IReadOnlyList<ApkPayloadEntry> Read(string root)
    {
        var top = new DirectoryInfo(root);
        if (!top.Exists)
        {
            throw new ArgumentException($"--files '{root}' is not a directory");
        }
        var entries = new List<ApkPayloadEntry> { ApkPayloadEntry.Directory("", Mode(top)) };
        Walk(top, "", entries);
        return entries;
    }

    private static void Walk(DirectoryInfo dir, string prefix, List<ApkPayloadEntry> entries)
    {
        foreach (var info in dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var path = prefix + info.Name;
            if (info.LinkTarget is { } target)
            {
                entries.Add(ApkPayloadEntry.Symlink(path, target));
            }
            else if (info is DirectoryInfo sub)
            {
                entries.Add(ApkPayloadEntry.Directory(path, Mode(sub)));
                Walk(sub, path + "/", entries);
            }
            else if (info is FileInfo file)
            {
                entries.Add(ApkPayloadEntry.File(path, Mode(file), File.ReadAllBytes(file.FullName)));
            }
            else
            {
                throw new ArgumentException($"'{path}' is not a directory, regular file or symbolic link");
            }
        }
    }

    private static int Mode(FileSystemInfo info) => (int)info.UnixFileMode;
}
