namespace Appliance.Server.Mqtt;

/// <summary>The management API refused a call or no node of the cluster answered it.</summary>
public sealed class RabbitMqManagementException(string message, Exception? inner = null) : Exception(message, inner);
