namespace Appliance.Mqtt.Client;

/// <summary>Makes real <see cref="MqttClient"/>s over TCP (or TLS, as the options say).</summary>
public sealed class MqttClientFactory : IMqttClientFactory
{
    public static MqttClientFactory Default { get; } = new();

    public IMqttClient Create(MqttClientOptions options) => new MqttClient(options);
}
