using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Agent.State;

/// <summary>
/// Indented JSON from any source-generated type info. The agent's files and `pull --json` are indented for people,
/// and the wire types are written through <see cref="Contracts.DeviceJsonContext"/>'s type info with an indenting
/// writer rather than through a second, indenting context: NativeAOT would otherwise compile every serializer twice.
/// </summary>
public static class IndentedJson
{
    public static string Serialize<T>(T value, JsonTypeInfo<T> type)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            JsonSerializer.Serialize(writer, value, type);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
