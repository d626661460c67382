using System.Globalization;

namespace Appliance.Hardware.Gpio;

/// <summary>
/// Which System.Device.Gpio driver a button's GPIO line goes through under its <c>GpioController</c>, and why (the
/// agent logs <see cref="Reason"/>). <see cref="Pick"/> is the pure decision over what the OS has: <c>LibGpiodDriver</c>
/// when libgpiod 1.5+ loads (Debian 12's <c>libgpiod2</c>, Raspberry Pi OS bookworm) and the kernel still has the uAPI
/// v1 it speaks, else our own <see cref="CdevGpioDriver"/> (the GPIO character device v2, no library).
/// </summary>
public sealed record GpioDriverChoice(GpioDriverKind Kind, string Reason)
{
    /// <summary>libgpiod 1.5 added the bias flags (<c>GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP</c>...); older ones cannot pull.</summary>
    public static readonly Version BiasSince = new(1, 5);

    /// <summary>
    /// Picks from the button's <paramref name="bias"/>, the version libgpiod 1.x reported (null: <c>libgpiod.so.2</c>
    /// did not load), whether the kernel has the GPIO uAPI v1 (CONFIG_GPIO_CDEV_V1) and whether libgpiod 2.x
    /// (<c>libgpiod.so.3</c>) loaded.
    /// </summary>
    public static GpioDriverChoice Pick(GpioBias bias, string? libgpiodV1Version, bool kernelHasUapiV1, bool libgpiodV2Present)
    {
        const string Cdev = "System.Device.Gpio GpioController, CdevGpioDriver (the GPIO character device v2, no library)";
        if (bias == GpioBias.Disabled)
        {
            // GpioController's PinMode has Input (keep the line's bias), InputPullUp and InputPullDown; no "bias off".
            return new(GpioDriverKind.Direct, "the GPIO character device v2 read directly: buttonBias 'disabled' has no System.Device.Gpio PinMode");
        }
        if (libgpiodV1Version is { } v)
        {
            var parsed = ParseVersion(v);
            if (bias != GpioBias.AsIs && (parsed is null || parsed < BiasSince))
            {
                return new(GpioDriverKind.CharacterDevice, $"{Cdev}: libgpiod {v} (libgpiod.so.2) is older than {BiasSince} and cannot ask for the pull resistor");
            }
            if (!kernelHasUapiV1)
            {
                // libgpiod 1.x would open the chip and then fail every line call (its line handle is then null).
                return new(GpioDriverKind.CharacterDevice, $"{Cdev}: libgpiod {v} (libgpiod.so.2) speaks the GPIO uAPI v1, which this kernel does not have (CONFIG_GPIO_CDEV_V1)");
            }
            return new(GpioDriverKind.LibGpiod, $"System.Device.Gpio GpioController, LibGpiodDriver (libgpiod {v}, libgpiod.so.2)");
        }
        return libgpiodV2Present
            // LibGpiodV2Driver reaches a trim warning (IL2091, Marshal.PtrToStructure<T> in UnmanagedArray<T>) and
            // costs ~0.7 MB of binary: hardware/README.md "GPIO".
            ? new(GpioDriverKind.CharacterDevice, $"{Cdev}: only libgpiod 2.x (libgpiod.so.3) is installed, whose System.Device.Gpio driver the agent leaves out")
            : new(GpioDriverKind.CharacterDevice, $"{Cdev}: no libgpiod.so.2 (libgpiod 1.x; Debian: apt install libgpiod2)");
    }

    /// <summary>The leading <c>major.minor</c> of a libgpiod version string (<c>1.6.3</c>, <c>1.4.1-dirty</c>); null when there is none.</summary>
    internal static Version? ParseVersion(string text)
    {
        var parts = text.Split('.', 3);
        return parts.Length >= 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            ? new Version(major, minor)
            : null;
    }
}
