namespace Appliance.Gateway;

/// <summary>What the backend detector looks at on the host: files and programs.</summary>
public interface IFirewallHost
{
    bool FileExists(string path);

    bool ProgramExists(string name);
}

/// <summary>The real host: the file system and PATH (plus /usr/sbin and /sbin, where firewall tools live).</summary>
public sealed class SystemFirewallHost : IFirewallHost
{
    public bool FileExists(string path) => File.Exists(path);

    public bool ProgramExists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
