using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Appliance.ApkTool.Adb;

namespace Appliance.ApkTool.Package;

/// <summary>
/// Makes an apk-tools 3 package (the <c>.apk</c> of OpenWrt 25.12 and Alpine 3.22+) from its info, payload and
/// scripts: an ADB block holding the package object, then one DATA block per non-empty regular file. The values are
/// written in the order apk mkpkg writes them (info fields, then each directory's files and the directory, then the
/// info's size and identity, the path list, the scripts), so equal inputs give the bytes mkpkg gives. Unsigned: apk
/// installs it with <c>--allow-untrusted</c>. Pure: no I/O.
/// </summary>
public static class ApkPackageWriter
{
    private static readonly byte[] Root = "root"u8.ToArray();

    /// <param name="mtime">Every file's modification time (apk mkpkg uses SOURCE_DATE_EPOCH for all when it is set).</param>
    public static byte[] Write(ApkPackageInfo info, IReadOnlyList<ApkPayloadEntry> payload, IReadOnlyDictionary<ApkScript, string> scripts,
        ulong mtime, ApkCompression compression = ApkCompression.Deflate)
    {
        ApkPackageRules.CheckInfo(info);
        ApkPackageRules.CheckPayload(payload);
        ApkPackageRules.CheckScripts(scripts);

        var adb = new AdbWriter();
        var infoSlots = new uint[ApkSchema.Info.Max];
        infoSlots[ApkSchema.Info.Name] = Text(adb, info.Name);
        infoSlots[ApkSchema.Info.Version] = Text(adb, info.Version);
        infoSlots[ApkSchema.Info.Description] = Text(adb, info.Description);
        infoSlots[ApkSchema.Info.Arch] = Text(adb, info.Arch);
        infoSlots[ApkSchema.Info.License] = Text(adb, info.License);
        infoSlots[ApkSchema.Info.Origin] = Text(adb, info.Origin);
        infoSlots[ApkSchema.Info.Maintainer] = Text(adb, info.Maintainer);
        infoSlots[ApkSchema.Info.Url] = Text(adb, info.Url);
        infoSlots[ApkSchema.Info.Depends] = Dependencies(adb, info.Depends);

        // The root directory first, then every directory by name (bytewise, as apk sorts), each written after its files.
        var directories = payload.Where(e => e.Kind == ApkEntryKind.Directory && e.Path.Length > 0)
            .OrderBy(e => e.Path, Utf8Order.Instance).ToList();
        var rootMode = payload.FirstOrDefault(e => e.Kind == ApkEntryKind.Directory && e.Path.Length == 0)?.Mode ?? 0b111_101_101;
        directories.Insert(0, ApkPayloadEntry.Directory("", rootMode));
        var filesIn = payload.Where(e => e.Kind != ApkEntryKind.Directory).ToLookup(e => e.Parent, StringComparer.Ordinal);

        var dataBlocks = new List<(int Dir, int File, ReadOnlyMemory<byte> Content)>();
        var pathSlots = new List<uint> { 0 };
        ulong installed = 0;
        foreach (var dir in directories)
        {
            var files = filesIn[dir.Path].OrderBy(e => e.Name, Utf8Order.Instance).ToList();
            var fileSlots = new uint[files.Count + 1];
            for (var j = 0; j < files.Count; j++)
            {
                var f = files[j];
                var slots = new uint[ApkSchema.File.Max];
                slots[ApkSchema.File.Name] = Text(adb, f.Name);
                if (f.Kind == ApkEntryKind.File)
                {
                    slots[ApkSchema.File.Hash] = adb.Blob(SHA256.HashData(f.Content.Span));
                    installed += (ulong)f.Content.Length;
                    if (f.Content.Length > 0)
                    {
                        dataBlocks.Add((pathSlots.Count, j + 1, f.Content));
                    }
                }
                else
                {
                    slots[ApkSchema.File.Target] = adb.Blob(LinkTarget(f.Target!));
                }
                slots[ApkSchema.File.MTime] = adb.Int(mtime);
                // A link's size is its target's length, as lstat gives it.
                slots[ApkSchema.File.Size] = adb.Int(f.Kind == ApkEntryKind.File ? (ulong)f.Content.Length : (ulong)Encoding.UTF8.GetByteCount(f.Target!));
                slots[ApkSchema.File.Acl] = Acl(adb, f.Mode);
                fileSlots[j + 1] = adb.Object(slots);
            }
            var dirSlots = new uint[ApkSchema.Directory.Max];
            dirSlots[ApkSchema.Directory.Name] = Text(adb, dir.Path);
            dirSlots[ApkSchema.Directory.Acl] = Acl(adb, dir.Mode);
            // apk mkpkg writes its arrays with the object tag (adb_wo_obj); readers take either.
            dirSlots[ApkSchema.Directory.Files] = adb.Object(fileSlots);
            pathSlots.Add(adb.Object(dirSlots));
        }

        // mkpkg counts a package with files or scripts but no bytes as size 1: 0 means a meta package.
        infoSlots[ApkSchema.Info.InstalledSize] = adb.Int(Math.Max(installed, 1));
        // The identity is patched in once the whole block is known, so it is written where nothing else points.
        infoSlots[ApkSchema.Info.Hashes] = adb.UniqueBlob(new byte[ApkSchema.IdentityLength], out var identityAt);
        var packageSlots = new uint[ApkSchema.Package.Max];
        packageSlots[ApkSchema.Package.Info] = adb.Object(infoSlots);
        packageSlots[ApkSchema.Package.Paths] = adb.Object(pathSlots.ToArray());
        if (scripts.Count > 0)
        {
            var scriptSlots = new uint[ApkSchema.Scripts.Max];
            foreach (var script in Enum.GetValues<ApkScript>())
            {
                scriptSlots[(int)script] = scripts.TryGetValue(script, out var text) ? Text(adb, text) : AdbType.Null;
            }
            packageSlots[ApkSchema.Package.Scripts] = adb.Object(scriptSlots);
        }
        adb.SetRoot(adb.Object(packageSlots));
        adb.Patch(identityAt, SHA256.HashData(adb.Block).AsSpan(0, ApkSchema.IdentityLength));

        using var file = new MemoryStream();
        Span<byte> word = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(word, AdbBlock.FormatMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(word[4..], AdbBlock.PackageSchema);
        file.Write(word);
        WriteBlock(file, AdbBlock.Adb, adb.Block, ReadOnlySpan<byte>.Empty);
        foreach (var (dir, index, content) in dataBlocks)
        {
            // A DATA block names its file by 1-based directory and file slot.
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)dir);
            BinaryPrimitives.WriteUInt32LittleEndian(word[4..], (uint)index);
            WriteBlock(file, AdbBlock.Data, word, content.Span);
        }
        return compression == ApkCompression.None ? file.ToArray() : Deflate(file.GetBuffer().AsSpan(0, (int)file.Length));
    }

    private static uint Text(AdbWriter adb, string text) => adb.Blob(Encoding.UTF8.GetBytes(text));

    private static uint Acl(AdbWriter adb, int mode)
    {
        var acl = new uint[ApkSchema.Acl.Max];
        acl[ApkSchema.Acl.Mode] = adb.Int((ulong)mode);
        acl[ApkSchema.Acl.User] = adb.Blob(Root);
        acl[ApkSchema.Acl.Group] = adb.Blob(Root);
        return adb.Object(acl);
    }

    private static byte[] LinkTarget(string target)
    {
        var bytes = new byte[2 + Encoding.UTF8.GetByteCount(target)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, ApkSchema.SymlinkType);
        Encoding.UTF8.GetBytes(target, bytes.AsSpan(2));
        return bytes;
    }

    private static uint Dependencies(AdbWriter adb, IReadOnlyList<string> depends)
    {
        // Each dependency object is written as it is parsed; the array is then sorted by name and made unique.
        var byName = new SortedDictionary<string, uint>(Utf8Order.Instance);
        foreach (var name in depends)
        {
            var dep = new uint[ApkSchema.Dependency.Max];
            dep[ApkSchema.Dependency.Name] = Text(adb, name);
            byName.TryAdd(name, adb.Object(dep));
        }
        return adb.Object([0, .. byName.Values]);
    }

    private static void WriteBlock(Stream file, uint type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        var raw = 4L + head.Length + body.Length;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, (type << 30) | (uint)raw);
        file.Write(word);
        file.Write(head);
        file.Write(body);
        file.Write(new byte[AdbBlock.Padding(raw)]);
    }

    private static byte[] Deflate(ReadOnlySpan<byte> file)
    {
        using var output = new MemoryStream();
        output.Write("ADBd"u8);
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(file);
        }
        return output.ToArray();
    }
}
