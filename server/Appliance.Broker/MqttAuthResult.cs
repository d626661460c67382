namespace Appliance.Broker;

/// <summary>Answer of <see cref="IMqttAuthenticator"/>: a principal, or a refusal.</summary>
public sealed class MqttAuthResult
{
    private MqttAuthResult(MqttPrincipal? principal, string? reason)
    {
        Principal = principal;
        Reason = reason;
    }

    public MqttPrincipal? Principal { get; }

    /// <summary>Why the client was refused, for the log (never sent to the client).</summary>
    public string? Reason { get; }

    public bool Succeeded => Principal is not null;

    public static MqttAuthResult Allow(MqttPrincipal principal) => new(principal, null);

    public static MqttAuthResult Deny(string reason) => new(null, reason);
}
