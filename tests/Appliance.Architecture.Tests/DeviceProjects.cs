using Appliance.TestSupport;

namespace Appliance.Architecture.Tests;

/// <summary>The projects that run on devices: everything under lib/, agent-lite/, gateway/ and hardware/.</summary>
public static class DeviceProjects
{
    public static readonly string[] Roots = ["lib", "agent-lite", "gateway", "hardware"];

    public static IReadOnlyList<string> All() => Roots
        .Select(r => RepoPaths.Combine(r))
        .Where(Directory.Exists)
        .SelectMany(d => Directory.EnumerateFiles(d, "*.csproj", SearchOption.AllDirectories))
        .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var p in All())
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, p));
        }
        return data;
    }
}
