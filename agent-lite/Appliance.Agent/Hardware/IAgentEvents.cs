namespace Appliance.Agent.Hardware;

/// <summary>What the daemon tells the status hardware as it happens (the LED follows from these).</summary>
public interface IAgentEvents
{
    /// <summary>A state was applied (<paramref name="ok"/>) or failed to apply.</summary>
    void Applied(bool ok);

    /// <summary>The MQTT broker connection went up or down.</summary>
    void BrokerConnected(bool up);

    /// <summary>A verified identify command: blink for <paramref name="duration"/>.</summary>
    void Identify(TimeSpan duration);
}
