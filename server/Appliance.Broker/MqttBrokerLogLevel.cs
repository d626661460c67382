namespace Appliance.Broker;

/// <summary>Severity of a broker log line; the host maps it onto its logger.</summary>
public enum MqttBrokerLogLevel
{
    Debug,
    Information,
    Warning,
}
