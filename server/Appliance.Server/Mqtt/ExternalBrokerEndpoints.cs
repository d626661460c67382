namespace Appliance.Server.Mqtt;

/// <summary>Where an external broker is: for the server's own client, and for the devices it enrolls.</summary>
/// <param name="Urls">The brokers the server's client connects to, in order (a cluster's nodes, or one Mosquitto).</param>
/// <param name="CaFile">PEM CA certificates the server's client trusts for <c>mqtts://</c> (else the system store).</param>
/// <param name="DeviceUrls">The broker URLs devices get at join, the one they try first first.</param>
public sealed record ExternalBrokerEndpoints(IReadOnlyList<Uri> Urls, string? CaFile, IReadOnlyList<string> DeviceUrls);
