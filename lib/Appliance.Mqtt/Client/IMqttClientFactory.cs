namespace Appliance.Mqtt.Client;

/// <summary>Makes the MQTT clients of a long-running component (the seam that lets its tests run without a broker).</summary>
public interface IMqttClientFactory
{
    IMqttClient Create(MqttClientOptions options);
}
