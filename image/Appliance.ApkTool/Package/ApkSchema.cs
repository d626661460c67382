namespace Appliance.ApkTool.Package;

/// <summary>
/// Slot numbers of apk-tools 3's package schema (<c>pckg</c>), as apk-package(5) names the fields: the package object,
/// its info, a directory, a file, an ACL and a dependency.
/// </summary>
public static class ApkSchema
{
    public static class Package
    {
        public const int Info = 1, Paths = 2, Scripts = 3, Triggers = 4, ReplacesPriority = 5, Max = 6;
    }

    public static class Info
    {
        public const int Name = 1, Version = 2, Hashes = 3, Description = 4, Arch = 5, License = 6, Origin = 7,
            Maintainer = 8, Url = 9, RepoCommit = 10, BuildTime = 11, InstalledSize = 12, FileSize = 13,
            ProviderPriority = 14, Depends = 15, Provides = 16, Replaces = 17, InstallIf = 18, Recommends = 19,
            Layer = 20, Tags = 21, Max = 22;
    }

    public static class Directory
    {
        public const int Name = 1, Acl = 2, Files = 3, Max = 4;
    }

    public static class File
    {
        public const int Name = 1, Acl = 2, Size = 3, MTime = 4, Hash = 5, Target = 6, Max = 7;
    }

    public static class Acl
    {
        public const int Mode = 1, User = 2, Group = 3, Xattrs = 4, Max = 5;
    }

    public static class Scripts
    {
        public const int Max = 8;
    }

    public static class Dependency
    {
        public const int Name = 1, Version = 2, Match = 3, Max = 4;
    }

    /// <summary>The length of the package's identity (<c>info.hashes</c>): the first bytes of the ADB block's SHA-256.</summary>
    public const int IdentityLength = 20;

    /// <summary>A link target blob starts with the file type as a little-endian 16-bit word (S_IFLNK, S_IFREG...).</summary>
    public const ushort SymlinkType = 0xa000;

    public const ushort RegularType = 0x8000;
}
