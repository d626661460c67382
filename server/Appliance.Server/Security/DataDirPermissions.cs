namespace Appliance.Server.Security;

/// <summary>
/// Forces the data dir to owner-only: the dir (and any dir below it) 0700, every file 0600. The store, its -wal and
/// -shm files, the keys and the admin token are secrets; a dir made beforehand with 0755, or a database created under
/// a permissive umask, must not leave them readable by other users.
/// </summary>
public static class DataDirPermissions
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the dir when missing and sets the modes of it and everything in it.</summary>
    public static void Enforce(string dataDir)
    {
        Directory.CreateDirectory(dataDir, DirectoryMode);
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        // The dir first: once it is 0700 nobody else can reach what is inside while the files are fixed.
        File.SetUnixFileMode(dataDir, DirectoryMode);
        foreach (var entry in new DirectoryInfo(dataDir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry.LinkTarget is not null)
            {
                continue; // a symlink's own mode means nothing; its target is not ours to change
            }
            var mode = entry is DirectoryInfo ? DirectoryMode : FileMode;
            if (entry.UnixFileMode != mode)
            {
                entry.UnixFileMode = mode;
            }
        }
    }
}
