namespace Appliance.Gateway.Model;

/// <summary>A gateway spec that cannot be applied; names the field and the offending value. Nothing was changed.</summary>
public sealed class GatewaySpecException : ArgumentException
{
    public GatewaySpecException(string field, string? value, string reason)
        : base($"gateway spec: {field} '{value}': {reason}")
    {
        Field = field;
        Value = value;
        Reason = reason;
    }

    public GatewaySpecException()
    {
        Field = "";
        Reason = "";
    }

    public GatewaySpecException(string message)
        : base(message)
    {
        Field = "";
        Reason = message;
    }

    public GatewaySpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
        Reason = message;
    }

    /// <summary>The field path, e.g. <c>egress.ranges[2]</c>.</summary>
    public string Field { get; }

    public string? Value { get; }

    public string Reason { get; }
}
