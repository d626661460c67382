using System.Globalization;
using System.Text;
using System.Text.Json;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// Writes into the ext4 root (partition 2) of an image file that was built already, with debugfs at the partition's
/// offset: no loop device, no mount. The tests use it to add their probe to an image built outside the test.
/// </summary>
public static class RootPartition
{
    /// <summary>Copies <paramref name="overlay"/> (directories, regular files with their mode, symbolic links) into the root.</summary>
    public static async Task CopyInAsync(string image, string overlay)
    {
        var offset = await PartitionOffsetAsync(image, 2);
        var script = new StringBuilder();
        foreach (var path in Directory.EnumerateFileSystemEntries(overlay, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var target = "/" + Path.GetRelativePath(overlay, path).Replace('\\', '/');
            var info = new FileInfo(path);
            if (info.LinkTarget is { } link)
            {
                script.Append(CultureInfo.InvariantCulture, $"symlink {Quote(target)} {Quote(link)}\n");
            }
            else if (Directory.Exists(path))
            {
                // Most of the overlay's directories are in the root already: debugfs says so and goes on.
                script.Append(CultureInfo.InvariantCulture, $"mkdir {Quote(target)}\n");
            }
            else
            {
                var mode = Convert.ToString(0x8000 | (int)File.GetUnixFileMode(path), 8);
                script.Append(CultureInfo.InvariantCulture, $"write {Quote(path)} {Quote(target)}\nsif {Quote(target)} mode 0{mode}\nsif {Quote(target)} uid 0\nsif {Quote(target)} gid 0\n");
            }
        }
        using var tmp = new TempDirectory("appliance-debugfs");
        var file = tmp.Combine("script");
        await File.WriteAllTextAsync(file, script.ToString());
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("debugfs"), ["-w", "-f", file, $"{image}?offset={offset}"], timeout: TimeSpan.FromMinutes(2));
        r.EnsureSuccess("debugfs -w " + image);
        // debugfs reports a failed command on stderr and still exits 0; "directory already exists" is only the mkdir of
        // a directory the root has already (ext2fs_mkdir: Ext2 directory already exists while creating directory "etc").
        var errors = r.StdErr.Split('\n').Where(l => l.Contains(':', StringComparison.Ordinal) && !l.StartsWith("debugfs ", StringComparison.Ordinal)
            && !l.Contains("directory already exists", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"debugfs could not copy {overlay} into {image}:\n{string.Join('\n', errors)}");
        }
    }

    /// <summary>Where partition <paramref name="number"/> starts in the image, in bytes (sfdisk's view of the table).</summary>
    public static async Task<long> PartitionOffsetAsync(string image, int number)
    {
        var r = (await ProcessRunner.RunAsync(Prerequisites.RequireProgram("sfdisk"), ["--json", image], timeout: TimeSpan.FromSeconds(30))).EnsureSuccess("sfdisk --json");
        using var doc = JsonDocument.Parse(r.StdOut);
        var table = doc.RootElement.GetProperty("partitiontable");
        var parts = table.GetProperty("partitions");
        if (parts.GetArrayLength() < number)
        {
            throw new InvalidOperationException($"{image} has {parts.GetArrayLength()} partitions, not {number}");
        }
        var sector = table.TryGetProperty("sectorsize", out var s) ? s.GetInt64() : 512;
        return parts[number - 1].GetProperty("start").GetInt64() * sector;
    }

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal)
        ? throw new ArgumentException($"debugfs paths here have no spaces or quotes: '{s}'", nameof(s))
        : s;
}
