namespace Appliance.Mqtt.Transport;

/// <summary>Opens the byte stream an MQTT client speaks over (TCP, TLS, or an in-memory fake in tests).</summary>
public interface IMqttTransport
{
    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}
