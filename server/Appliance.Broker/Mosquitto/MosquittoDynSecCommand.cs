using System.Text.Json.Nodes;

namespace Appliance.Broker.Mosquitto;

/// <summary>One command to Mosquitto's dynamic-security plugin: its name and its fields (without correlation data).</summary>
public sealed record MosquittoDynSecCommand(string Name, JsonObject Fields)
{
    /// <summary>What the command is about, for error messages: "createClient 0123...".</summary>
    public string Describe() =>
        Fields["username"] is JsonValue u ? $"{Name} {u.GetValue<string>()}" : Fields["rolename"] is JsonValue r ? $"{Name} {r.GetValue<string>()}" : Name;
}
