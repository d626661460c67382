namespace Appliance.Hardware.Led;

/// <summary>One write to an attribute file of an LED class device (<c>trigger</c>, <c>brightness</c>, <c>delay_on</c>...).</summary>
public readonly record struct LedWrite(string Attribute, string Value)
{
    public override string ToString() => $"{Attribute}={Value}";
}
