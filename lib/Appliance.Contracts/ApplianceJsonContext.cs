using System.Text.Json.Serialization;
using Appliance.Contracts.Api;

namespace Appliance.Contracts;

/// <summary>
/// Source-generated JSON for every wire contract: the server's context (its API, store and broker). Device code uses
/// <see cref="DeviceJsonContext"/>, which holds only what a device reads or writes.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(JoinToken))]
[JsonSerializable(typeof(NetworkDto))]
[JsonSerializable(typeof(List<NetworkDto>))]
[JsonSerializable(typeof(CreateNetworkRequest))]
[JsonSerializable(typeof(UpdateNetworkRequest))]
[JsonSerializable(typeof(CreateEnrollmentKeyRequest))]
[JsonSerializable(typeof(EnrollmentKeyDto))]
[JsonSerializable(typeof(List<EnrollmentKeyDto>))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(NodeDto))]
[JsonSerializable(typeof(List<NodeDto>))]
[JsonSerializable(typeof(UpdateNodeRequest))]
[JsonSerializable(typeof(NodeConfigDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.MeshUpdate))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.NodeReport))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.NodeCommand))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.MeshResyncRequest))]
[JsonSerializable(typeof(IdentifyRequest))]
[JsonSerializable(typeof(IdentifyDto))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.GatewayRoleDto))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.MeshDnsDto))]
[JsonSerializable(typeof(Appliance.Contracts.Mesh.MeshFilterDto))]
[JsonSerializable(typeof(IngressRequest))]
[JsonSerializable(typeof(IngressDto))]
[JsonSerializable(typeof(EgressRequest))]
[JsonSerializable(typeof(EgressDto))]
[JsonSerializable(typeof(CreateExtClientRequest))]
[JsonSerializable(typeof(UpdateExtClientRequest))]
[JsonSerializable(typeof(ExtClientDto))]
[JsonSerializable(typeof(List<ExtClientDto>))]
[JsonSerializable(typeof(CreateDnsEntryRequest))]
[JsonSerializable(typeof(DnsEntryDto))]
[JsonSerializable(typeof(List<DnsEntryDto>))]
[JsonSerializable(typeof(PolicyDto))]
[JsonSerializable(typeof(PolicyTestReportDto))]
[JsonSerializable(typeof(Mesh.MeshFilterDto))]
[JsonSerializable(typeof(SigningKeyChainDto))]
[JsonSerializable(typeof(SigningKeyDto))]
public sealed partial class ApplianceJsonContext : JsonSerializerContext;
