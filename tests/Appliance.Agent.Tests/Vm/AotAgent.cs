using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// The agent as it ships (NativeAOT, linux-x64) for the VM tests: published once per test run into the VM cache's
/// artifacts (a second run compiles incrementally), or reused from <see cref="ReuseVariable"/>.
/// </summary>
public static class AotAgent
{
    /// <summary>A directory holding an already published <c>appliance-agent</c> (the publish takes minutes; 20-40 on a loaded machine).</summary>
    public const string ReuseVariable = "APPLIANCE_AGENT_AOT_DIR";

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static string? _published;

    /// <summary>The path of the <c>appliance-agent</c> binary; publishes it the first time in this process.</summary>
    public static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable(ReuseVariable) is { Length: > 0 } reuse)
        {
            var existing = Path.Combine(reuse, "appliance-agent");
            return File.Exists(existing) ? existing : throw new FileNotFoundException($"{ReuseVariable}={reuse} has no appliance-agent");
        }
        await Once.WaitAsync();
        try
        {
            if (_published is not null && File.Exists(_published))
            {
                return _published;
            }
            var artifacts = Path.Combine(VmImage.DefaultCache, "artifacts-aot-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(RepoPaths.Root)))[..12]);
            // Outside the fixtures' temp folders: the other fixture of the run reuses it.
            var output = Path.Combine(artifacts, "publish");
            (await ProcessRunner.RunAsync("dotnet",
                ["publish", RepoPaths.Combine("agent-lite", "Appliance.Agent", "Appliance.Agent.csproj"), "-nologo", "-v", "q", "-c", "Release", "-r", "linux-x64",
                 "-p:PublishAot=true", "--artifacts-path", artifacts, "-o", output],
                timeout: TimeSpan.FromMinutes(60))).EnsureSuccess("dotnet publish appliance-agent (NativeAOT)");
            return _published = Path.Combine(output, "appliance-agent");
        }
        finally
        {
            Once.Release();
        }
    }
}
