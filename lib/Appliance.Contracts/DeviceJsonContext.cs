using System.Text.Json.Serialization;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;

namespace Appliance.Contracts;

/// <summary>
/// Source-generated JSON for the wire contracts a device reads or writes: the join token, join, config pull,
/// signing-key chain, error answers, mesh updates, commands and reports. The agent uses only this context, so its
/// NativeAOT binary carries no serializers for the server's admin DTOs (<see cref="ApplianceJsonContext"/>, issue #15).
/// Its options are <see cref="ApplianceJsonContext"/>'s, so both write the same bytes for a type they share.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(JoinToken))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(NodeConfigDto))]
[JsonSerializable(typeof(SigningKeyChainDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(MeshUpdate))]
[JsonSerializable(typeof(NodeReport))]
[JsonSerializable(typeof(NodeCommand))]
[JsonSerializable(typeof(GatewayRoleDto))]
[JsonSerializable(typeof(MeshDnsDto))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.MeshResyncRequest))]
public sealed partial class DeviceJsonContext : JsonSerializerContext;
