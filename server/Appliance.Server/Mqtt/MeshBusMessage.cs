namespace Appliance.Server.Mqtt;

/// <summary>A message a <see cref="IMeshBus"/> subscriber receives.</summary>
public sealed record MeshBusMessage(string Topic, ReadOnlyMemory<byte> Payload);
