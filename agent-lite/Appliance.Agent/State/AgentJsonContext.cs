using System.Text.Json.Serialization;

namespace Appliance.Agent.State;

/// <summary>
/// Source-generated JSON for the agent's own files and status (trimming-safe). desired.json is a wire type and goes
/// through <see cref="Contracts.DeviceJsonContext"/> (<see cref="IndentedJson"/>), so its serializer is compiled once.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(AgentState))]
[JsonSerializable(typeof(AgentStatus))]
[JsonSerializable(typeof(PeerStatus))]
[JsonSerializable(typeof(PolicyStatus))]
[JsonSerializable(typeof(List<Appliance.Contracts.Mesh.PeerPathReport>))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
