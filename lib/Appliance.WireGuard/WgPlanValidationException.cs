namespace Appliance.WireGuard;

/// <summary>A plan that would be rejected (or half-applied) by the device; raised before anything is sent.</summary>
public sealed class WgPlanValidationException : WireGuardException
{
    public WgPlanValidationException(string message)
        : base(message)
    {
    }

    public WgPlanValidationException()
    {
    }

    public WgPlanValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
