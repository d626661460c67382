namespace Appliance.Broker.Mosquitto;

/// <summary>Where the external Mosquitto reads its accounts, and how to make it reload them.</summary>
public sealed class MosquittoProvisionerOptions
{
    /// <summary>The file named by <c>password_file</c> in mosquitto.conf.</summary>
    public required string PasswordFilePath { get; init; }

    /// <summary>The file named by <c>acl_file</c> in mosquitto.conf.</summary>
    public required string AclFilePath { get; init; }

    /// <summary>Mosquitto's pid file (<c>pid_file</c>); used when <see cref="ProcessId"/> is not set.</summary>
    public string? PidFilePath { get; init; }

    /// <summary>Mosquitto's process id, when known directly.</summary>
    public int? ProcessId { get; init; }

    public int HashIterations { get; init; } = MosquittoPasswordHash.DefaultIterations;

    /// <summary>Mode of the written files: owner read/write, group read (put Mosquitto's user in the server's group).</summary>
    public UnixFileMode FileMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
}
