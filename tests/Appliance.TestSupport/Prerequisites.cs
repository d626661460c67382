namespace Appliance.TestSupport;

/// <summary>
/// Checks that a third-party program or privilege an Interop/Netns/Vm test needs is present.
/// A missing prerequisite is a failure with a clear message, never a silent skip: the test
/// command (scripts/test.sh) installs everything these tests use.
/// </summary>
public static class Prerequisites
{
    public static string RequireProgram(string name)
    {
        var path = FindOnPath(name);
        return path ?? throw new InvalidOperationException(
            $"prerequisite missing: '{name}' is not on PATH. Run scripts/test.sh, which installs the test dependencies.");
    }

    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            throw new InvalidOperationException("prerequisite missing: this test needs root (network namespaces / qemu).");
        }
    }
}
