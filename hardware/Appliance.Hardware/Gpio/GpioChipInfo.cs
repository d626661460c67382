namespace Appliance.Hardware.Gpio;

/// <summary><c>struct gpiochip_info</c>: the chip's name (<c>gpiochip0</c>), its driver's label, and how many lines it has.</summary>
public sealed record GpioChipInfo(string Name, string Label, uint Lines);
