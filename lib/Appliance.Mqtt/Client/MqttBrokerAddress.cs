namespace Appliance.Mqtt.Client;

/// <summary>One broker of a cluster the client may connect to (<see cref="MqttClientOptions.FailoverBrokers"/>).</summary>
public sealed record MqttBrokerAddress(string Host, int Port);
