using Appliance.Gateway;

namespace Appliance.TestSupport;

/// <summary>A host for firewall backend detection that has exactly the files and programs it was given.</summary>
public sealed class FakeFirewallHost(string[] files, string[] programs) : IFirewallHost
{
    public bool FileExists(string path) => files.Contains(path);

    public bool ProgramExists(string name) => programs.Contains(name);
}
