namespace Appliance.Broker.Mosquitto;

/// <summary>The password and ACL files were written but Mosquitto could not be told to reload them.</summary>
public sealed class MosquittoReloadException : Exception
{
    public MosquittoReloadException(string message)
        : base(message)
    {
    }

    public MosquittoReloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MosquittoReloadException()
    {
    }
}
