using Appliance.Hardware.Gpio;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Button;

/// <summary>
/// Opens a button on a bare GPIO line through System.Device.Gpio's GpioController, over the driver
/// <see cref="GpioDriverChoice.Pick"/> settles on from what the OS has (libgpiod 1.x and a kernel with its uAPI:
/// LibGpiodDriver; else our <see cref="CdevGpioDriver"/>), and logs which one and why.
/// </summary>
public static class GpioButtons
{
    /// <summary>Opens <paramref name="address"/>'s line; throws <see cref="IOException"/> saying what was wrong.</summary>
    public static IButtonSource Open(GpioButtonAddress address, GpioBias bias, TimeSpan debounce, TimeProvider clock, TextWriter log)
    {
        var v1 = libgpiod.TryVersion(libgpiod.V1Library, out var version) ? version : null;
        var uapiV1 = v1 is not null && GpioCdevLine.HasUapiV1(address.ChipPath);
        var choice = GpioDriverChoice.Pick(bias, v1, uapiV1, v1 is null && libgpiod.IsPresent(libgpiod.V2Library));
        log.WriteLine($"button: GPIO driver: {choice.Reason}");
        return choice.Kind == GpioDriverKind.Direct
            ? GpioButton.Open(address, bias, debounce, clock)
            : GpioControllerButton.Open(address, bias, debounce, choice.Kind, clock);
    }
}
