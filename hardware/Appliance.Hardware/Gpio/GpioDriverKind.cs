namespace Appliance.Hardware.Gpio;

/// <summary>Which code asks the kernel for a button's GPIO line.</summary>
public enum GpioDriverKind
{
    /// <summary>System.Device.Gpio's <c>GpioController</c> over its <c>LibGpiodDriver</c> (libgpiod 1.x from the OS).</summary>
    LibGpiod,
    /// <summary>System.Device.Gpio's <c>GpioController</c> over <see cref="CdevGpioDriver"/>: the GPIO character device v2, no library needed.</summary>
    CharacterDevice,
    /// <summary>
    /// No GpioController: our character-device line read directly (<see cref="Button.GpioButton"/>), for what
    /// GpioController's <c>PinMode</c> cannot say (bias disabled).
    /// </summary>
    Direct,
}
