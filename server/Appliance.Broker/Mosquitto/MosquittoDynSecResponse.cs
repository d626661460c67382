using System.Text.Json;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// The plugin's answer to one command: its name, the error text if it failed ("Client already exists"...), the
/// correlation data sent with it, and for the list commands the <c>data</c> object.
/// </summary>
public sealed record MosquittoDynSecResponse(string Command, string? Error, string? CorrelationData, JsonElement? Data)
{
    public bool Succeeded => Error is null;
}
