using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Hardware.Display;

namespace Appliance.Agent.Hardware;

/// <summary>
/// <c>/etc/appliance/agent.json</c>: the agent's own settings file: its <c>hardware</c> section and the status
/// <c>display</c> (<c>i2c-N[:ADDR]</c>, what <c>run --display</c> says; the flag wins).
/// </summary>
public sealed record AgentConfigFile
{
    public HardwareConfig? Hardware { get; init; }

    /// <summary>The SSD1306 status display's bus and address, <c>i2c-1:0x3c</c>.</summary>
    public string? Display { get; init; }

    /// <summary>The parsed <see cref="Display"/> (null: none); set by <see cref="Load"/>.</summary>
    [JsonIgnore]
    public DisplayAddress? DisplayAt => Display is { } d && DisplayAddress.TryParse(d, out var at, out _) ? at : null;

    /// <summary>Reads and checks the file; a missing file is an empty one. Bad content names the key.</summary>
    public static AgentConfigFile Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new AgentConfigFile();
        }
        if (info.Length > HardwareConfig.MaxFileBytes)
        {
            throw new AgentException($"{path} is {info.Length} bytes; at most {HardwareConfig.MaxFileBytes}");
        }
        AgentConfigFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), HardwareJsonContext.Default.AgentConfigFile);
        }
        catch (JsonException e)
        {
            throw new AgentException($"{path}: {e.Message}");
        }
        file ??= new AgentConfigFile();
        if (file.Display is { } display && !DisplayAddress.TryParse(display, out _, out var bad))
        {
            throw new AgentException($"{path}: display: {bad}");
        }
        file.Hardware?.Validated(path);
        return file;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(AgentConfigFile))]
internal sealed partial class HardwareJsonContext : JsonSerializerContext;
