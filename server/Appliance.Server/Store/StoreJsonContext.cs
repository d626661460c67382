using System.Text.Json.Serialization;

namespace Appliance.Server.Store;

/// <summary>JSON for the list columns the store keeps as arrays.</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
