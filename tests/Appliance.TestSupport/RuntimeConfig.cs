using System.Text.Json;

namespace Appliance.TestSupport;

/// <summary>The runtime settings a program ships with: <c>runtimeOptions.configProperties</c> of its runtimeconfig.json.</summary>
public static class RuntimeConfig
{
    /// <summary>
    /// Each setting of <c>&lt;program&gt;.runtimeconfig.json</c> beside the test assembly, as its JSON text
    /// (<c>16777216</c>, <c>false</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Properties(string program)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, program + ".runtimeconfig.json")));
        return config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
    }
}
