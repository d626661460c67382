namespace Appliance.Hardware.Gpio;

/// <summary>The pull resistor a GPIO input line is requested with (linux/gpio.h GPIO_V2_LINE_FLAG_BIAS_*).</summary>
public enum GpioBias
{
    /// <summary>Leave the line's bias as the board or device tree set it.</summary>
    AsIs,
    /// <summary>Pull-up: a button between the line and ground reads active low.</summary>
    PullUp,
    /// <summary>Pull-down: a button between the line and 3.3 V reads active high.</summary>
    PullDown,
    /// <summary>No pull at all (an external resistor on the board).</summary>
    Disabled,
}
