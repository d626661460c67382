namespace Appliance.Broker.Mosquitto;

/// <summary>Mosquitto's dynamic-security plugin refused a command, answered nothing, or could not be reached.</summary>
public sealed class MosquittoDynSecException : Exception
{
    public MosquittoDynSecException(string message)
        : base(message)
    {
    }

    public MosquittoDynSecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MosquittoDynSecException()
    {
    }
}
