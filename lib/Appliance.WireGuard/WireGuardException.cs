namespace Appliance.WireGuard;

/// <summary>Base of the errors the WireGuard control path raises.</summary>
public class WireGuardException : Exception
{
    public WireGuardException()
    {
    }

    public WireGuardException(string message)
        : base(message)
    {
    }

    public WireGuardException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
