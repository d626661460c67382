using System.Globalization;
using Appliance.Contracts;

namespace Appliance.Agent.State;

/// <summary>
/// The one-daemon-per-state-dir guard of `appliance-agent run`: an exclusive lock on <c>run.lock</c> held for the
/// life of the process, with the holder's pid in <c>run.pid</c> for the refusal message. The lock is the kernel's
/// (flock), so it goes away with the process however it ends; a <c>run.pid</c> left by a crashed agent never
/// blocks a restart.
/// </summary>
public sealed class InstanceLock : IDisposable
{
    public const string LockFileName = "run.lock";
    public const string PidFileName = "run.pid";

    private readonly FileStream _lock;
    private readonly string _pidPath;

    private InstanceLock(FileStream lockStream, string pidPath)
    {
        _lock = lockStream;
        _pidPath = pidPath;
    }

    /// <summary>Takes the lock of <paramref name="directory"/> or throws an <see cref="AgentException"/> naming the running agent's pid.</summary>
    public static InstanceLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var lockPath = Path.Combine(directory, LockFileName);
        var pidPath = Path.Combine(directory, PidFileName);
        FileStream stream;
        try
        {
            // On Linux, FileShare.None makes .NET take flock(LOCK_EX | LOCK_NB) on the open file: a second opener
            // fails at once, and the kernel drops the lock when this process exits or is killed.
            stream = new FileStream(lockPath, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            var holder = ReadPid(pidPath) is { } pid ? $"pid {pid}" : "pid unknown";
            throw new AgentException($"another 'appliance-agent run' ({holder}) is already running with the state dir {directory}; stop it first");
        }
        AtomicFile.Write(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n", secret: false);
        return new InstanceLock(stream, pidPath);
    }

    /// <summary>The pid recorded in <c>run.pid</c>, or null when there is none (the holder may be writing it right now).</summary>
    public static int? ReadPid(string pidPath)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        // Only our own pid file goes: a newer holder may already have written its own after we let go.
        if (ReadPid(_pidPath) == Environment.ProcessId)
        {
            File.Delete(_pidPath);
        }
        _lock.Dispose();
    }
}
