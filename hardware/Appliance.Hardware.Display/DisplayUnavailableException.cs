namespace Appliance.Hardware.Display;

/// <summary>The display cannot be reached: no such I²C bus, no answer at its address, or no permission. The message says which.</summary>
public sealed class DisplayUnavailableException : IOException
{
    public DisplayUnavailableException(string message)
        : base(message)
    {
    }

    public DisplayUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DisplayUnavailableException()
    {
    }
}
