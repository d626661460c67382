using System.Text.Json.Serialization;
using Appliance.Contracts.Api;

namespace Appliance.Agent.State;

/// <summary>Source-generated JSON for the agent's files (trimming-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(AgentState))]
[JsonSerializable(typeof(AgentStatus))]
[JsonSerializable(typeof(PeerStatus))]
[JsonSerializable(typeof(PolicyStatus))]
[JsonSerializable(typeof(NodeConfigDto))]
[JsonSerializable(typeof(List<Appliance.Contracts.Mesh.PeerPathReport>))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
