namespace Appliance.Hardware.Button;

/// <summary>A raw change of the button: down or up, at a time on the reader's clock.</summary>
public readonly record struct ButtonEdge(bool Pressed, DateTimeOffset At);
