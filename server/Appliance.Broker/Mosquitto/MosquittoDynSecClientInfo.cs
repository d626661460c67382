namespace Appliance.Broker.Mosquitto;

/// <summary>A login as the plugin lists it: its user name, text name and roles.</summary>
public sealed record MosquittoDynSecClientInfo(string Username, string? TextName, IReadOnlyList<string> Roles);
