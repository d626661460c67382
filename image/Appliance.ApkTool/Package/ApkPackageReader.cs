using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Appliance.ApkTool.Adb;

namespace Appliance.ApkTool.Package;

/// <summary>
/// Reads an apk-tools 3 package back: the package schema, its info, directories, files, scripts, and each file's
/// bytes from its DATA block. It checks what the format carries: every DATA block names a regular file, its length is
/// the file's size and its SHA-256 the file's hash; every non-empty file has exactly one block; the info's identity is
/// the ADB block's SHA-256. Anything else is an <see cref="AdbFormatException"/> naming what was wrong. Signatures are
/// counted, not verified (apk verify does that against the keys it trusts). Pure: no I/O.
/// </summary>
public static class ApkPackageReader
{
    public const int MaxDirectories = 65_536;
    public const int MaxFilesPerDirectory = 65_536;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static ApkPackage Read(ReadOnlySpan<byte> bytes, int maxLength = AdbContainer.DefaultMaxLength)
    {
        var container = AdbContainer.Parse(bytes, maxLength);
        if (container.Schema != AdbBlock.PackageSchema)
        {
            throw new AdbFormatException($"schema 0x{container.Schema:x8} is not a package ('pckg')");
        }
        var block = container.Payload(container.Adb);
        var adb = new AdbReader(block);
        var package = adb.ReadSlots(adb.Root, "package");
        var infoSlots = adb.ReadSlots(AdbReader.Slot(package, ApkSchema.Package.Info), "info");
        string Field(int slot, string name) => Text(adb, AdbReader.Slot(infoSlots, slot), "info." + name);
        var dependsSlots = adb.ReadSlots(AdbReader.Slot(infoSlots, ApkSchema.Info.Depends), "info.depends");
        var depends = new List<string>();
        for (var i = 1; i < dependsSlots.Length; i++)
        {
            var dep = adb.ReadSlots(dependsSlots[i], $"info.depends[{i}]");
            var name = Text(adb, AdbReader.Slot(dep, ApkSchema.Dependency.Name), $"info.depends[{i}].name");
            var version = Text(adb, AdbReader.Slot(dep, ApkSchema.Dependency.Version), $"info.depends[{i}].version");
            depends.Add(version.Length == 0 ? name : $"{name} (version {version}, match {adb.ReadInt(AdbReader.Slot(dep, ApkSchema.Dependency.Match), "match")})");
        }
        var info = new ApkPackageInfo(Field(ApkSchema.Info.Name, "name"), Field(ApkSchema.Info.Version, "version"), Field(ApkSchema.Info.Arch, "arch"),
            Field(ApkSchema.Info.Description, "description"), depends, Field(ApkSchema.Info.License, "license"), Field(ApkSchema.Info.Origin, "origin"),
            Field(ApkSchema.Info.Maintainer, "maintainer"), Field(ApkSchema.Info.Url, "url"));
        if (info.Name.Length == 0 || info.Version.Length == 0)
        {
            throw new AdbFormatException("info: a package needs a name and a version");
        }
        var identityValue = AdbReader.Slot(infoSlots, ApkSchema.Info.Hashes);
        var identity = adb.ReadBlob(identityValue, "info.hashes").ToArray();
        CheckIdentity(block, identityValue, identity);

        var pathSlots = adb.ReadSlots(AdbReader.Slot(package, ApkSchema.Package.Paths), "paths");
        if (pathSlots.Length - 1 > MaxDirectories)
        {
            throw new AdbFormatException($"paths: {pathSlots.Length - 1} directories, at most {MaxDirectories}");
        }
        var dirs = new List<(string Path, int Mode, string User, string Group, List<FileSlot> Files)>();
        for (var i = 1; i < pathSlots.Length; i++)
        {
            var dir = adb.ReadSlots(pathSlots[i], $"paths[{i}]");
            var path = Text(adb, AdbReader.Slot(dir, ApkSchema.Directory.Name), $"paths[{i}].name");
            var (mode, user, group) = Acl(adb, AdbReader.Slot(dir, ApkSchema.Directory.Acl), $"directory '/{path}'");
            var fileSlots = adb.ReadSlots(AdbReader.Slot(dir, ApkSchema.Directory.Files), $"directory '/{path}' files");
            if (fileSlots.Length - 1 > MaxFilesPerDirectory)
            {
                throw new AdbFormatException($"directory '/{path}': {fileSlots.Length - 1} files, at most {MaxFilesPerDirectory}");
            }
            var files = new List<FileSlot>();
            for (var j = 1; j < fileSlots.Length; j++)
            {
                files.Add(File(adb, fileSlots[j], path, j));
            }
            dirs.Add((path, mode, user, group, files));
        }

        foreach (var data in container.Data)
        {
            var payload = container.Payload(data);
            if (payload.Length < 8)
            {
                throw new AdbFormatException($"a DATA block of {payload.Length} bytes, shorter than its 8-byte file index");
            }
            var d = BinaryPrimitives.ReadUInt32LittleEndian(payload.Span);
            var f = BinaryPrimitives.ReadUInt32LittleEndian(payload.Span[4..]);
            if (d < 1 || d > dirs.Count || f < 1 || f > dirs[(int)d - 1].Files.Count)
            {
                throw new AdbFormatException($"a DATA block for directory {d}, file {f}, which the package does not list");
            }
            var file = dirs[(int)d - 1].Files[(int)f - 1];
            var where = $"'{Join(dirs[(int)d - 1].Path, file.Name)}'";
            if (file.LinkTarget is not null)
            {
                throw new AdbFormatException($"a DATA block for {where}, which is a link");
            }
            if (!file.Content.IsEmpty)
            {
                throw new AdbFormatException($"a second DATA block for {where}");
            }
            var content = payload[8..];
            if ((ulong)content.Length != file.Size)
            {
                throw new AdbFormatException($"the DATA block for {where} holds {content.Length} bytes; the file's size is {file.Size}");
            }
            if (!SHA256.HashData(content.Span).AsSpan().SequenceEqual(file.Sha256))
            {
                throw new AdbFormatException($"the DATA block for {where} does not match the file's SHA-256");
            }
            file.Content = content;
        }

        var directories = new List<ApkDirectory>();
        foreach (var (path, mode, user, group, files) in dirs)
        {
            foreach (var file in files.Where(x => x.LinkTarget is null && x.Size > 0 && x.Content.IsEmpty))
            {
                throw new AdbFormatException($"no DATA block for '{Join(path, file.Name)}' ({file.Size} bytes)");
            }
            foreach (var file in files.Where(x => x.LinkTarget is null && x.Size == 0 && !SHA256.HashData([]).AsSpan().SequenceEqual(x.Sha256)))
            {
                throw new AdbFormatException($"the empty file '{Join(path, file.Name)}' has a SHA-256 that is not the empty one's");
            }
            directories.Add(new ApkDirectory(path, mode, user, group,
                files.Select(x => new ApkFile(x.Name, x.Mode, x.User, x.Group, x.Size, x.MTime, x.Sha256, x.LinkTarget, x.Content)).ToList()));
        }

        var scripts = new Dictionary<ApkScript, string>();
        var scriptSlots = adb.ReadSlots(AdbReader.Slot(package, ApkSchema.Package.Scripts), "scripts");
        foreach (var script in Enum.GetValues<ApkScript>())
        {
            var text = Text(adb, AdbReader.Slot(scriptSlots, (int)script), "scripts." + ApkScriptNames.Name(script));
            if (text.Length > 0)
            {
                scripts[script] = text;
            }
        }
        return new ApkPackage(info, adb.ReadInt(AdbReader.Slot(infoSlots, ApkSchema.Info.InstalledSize), "info.installed-size"), identity,
            directories, scripts, container.Signatures.Count, container.Compression);
    }

    private static FileSlot File(AdbReader adb, uint value, string dir, int index)
    {
        var slots = adb.ReadSlots(value, $"directory '/{dir}' file {index}");
        var name = Text(adb, AdbReader.Slot(slots, ApkSchema.File.Name), $"directory '/{dir}' file {index} name");
        var where = $"'{Join(dir, name)}'";
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new AdbFormatException($"directory '/{dir}' file {index}: name '{name}' is not a file name");
        }
        var (mode, user, group) = Acl(adb, AdbReader.Slot(slots, ApkSchema.File.Acl), where);
        var size = adb.ReadInt(AdbReader.Slot(slots, ApkSchema.File.Size), where + " size");
        var mtime = adb.ReadInt(AdbReader.Slot(slots, ApkSchema.File.MTime), where + " mtime");
        var hash = adb.ReadBlob(AdbReader.Slot(slots, ApkSchema.File.Hash), where + " hash");
        var target = adb.ReadBlob(AdbReader.Slot(slots, ApkSchema.File.Target), where + " target");
        if (!target.IsEmpty)
        {
            if (target.Length < 3 || BinaryPrimitives.ReadUInt16LittleEndian(target.Span) != ApkSchema.SymlinkType)
            {
                // A hard link (S_IFREG + path) or a device node: this tool's packages have neither.
                throw new AdbFormatException($"{where}: a target of type 0x{(target.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(target.Span) : 0):x4}; only symbolic links are read");
            }
            return new FileSlot(name, mode, user, group, size, mtime, null, Decode(target[2..], where + " target"));
        }
        if (hash.Length != 32)
        {
            throw new AdbFormatException($"{where}: a {hash.Length}-byte hash; a regular file carries its SHA-256 (32 bytes)");
        }
        return new FileSlot(name, mode, user, group, size, mtime, hash.ToArray(), null);
    }

    private static (int Mode, string User, string Group) Acl(AdbReader adb, uint value, string where)
    {
        var acl = adb.ReadSlots(value, where + " acl");
        var mode = adb.ReadInt(AdbReader.Slot(acl, ApkSchema.Acl.Mode), where + " mode");
        if (mode > 0b111_111_111_111)
        {
            throw new AdbFormatException($"{where}: mode {Convert.ToString((long)mode, 8)} is not a permission mode");
        }
        return ((int)mode, Text(adb, AdbReader.Slot(acl, ApkSchema.Acl.User), where + " user"), Text(adb, AdbReader.Slot(acl, ApkSchema.Acl.Group), where + " group"));
    }

    private static void CheckIdentity(ReadOnlyMemory<byte> block, uint value, byte[] identity)
    {
        if (identity.Length != ApkSchema.IdentityLength)
        {
            throw new AdbFormatException($"info.hashes is {identity.Length} bytes; a package's identity is {ApkSchema.IdentityLength}");
        }
        // The identity is the start of the SHA-256 of the ADB block as it was with the identity's bytes zero.
        var copy = block.ToArray();
        copy.AsSpan((int)AdbType.ValueOf(value) + 1, identity.Length).Clear();
        if (!SHA256.HashData(copy).AsSpan(0, identity.Length).SequenceEqual(identity))
        {
            throw new AdbFormatException("info.hashes is not the SHA-256 of the ADB block: the block was changed after it was made");
        }
    }

    private static string Text(AdbReader adb, uint value, string what) => Decode(adb.ReadBlob(value, what), what);

    private static string Decode(ReadOnlyMemory<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new AdbFormatException($"{what}: not UTF-8 text");
        }
    }

    private static string Join(string dir, string name) => dir.Length == 0 ? "/" + name : $"/{dir}/{name}";

    private sealed class FileSlot(string name, int mode, string user, string group, ulong size, ulong mtime, byte[]? sha256, string? linkTarget)
    {
        public string Name { get; } = name;
        public int Mode { get; } = mode;
        public string User { get; } = user;
        public string Group { get; } = group;
        public ulong Size { get; } = size;
        public ulong MTime { get; } = mtime;
        public byte[]? Sha256 { get; } = sha256;
        public string? LinkTarget { get; } = linkTarget;
        public ReadOnlyMemory<byte> Content { get; set; }
    }
}
