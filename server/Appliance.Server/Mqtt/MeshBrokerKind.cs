namespace Appliance.Server.Mqtt;

/// <summary>Which MQTT broker carries the mesh protocol (<c>Mqtt:Broker</c>).</summary>
public enum MeshBrokerKind
{
    /// <summary>The broker inside the server process (default).</summary>
    Embedded,

    /// <summary>An external Mosquitto on the same host; the server connects to it as a client and provisions its accounts.</summary>
    Mosquitto,

    /// <summary>
    /// An external RabbitMQ cluster with its MQTT plugin; the server provisions users and topic permissions through
    /// the management API and devices fail over between its nodes.
    /// </summary>
    RabbitMq,
}
