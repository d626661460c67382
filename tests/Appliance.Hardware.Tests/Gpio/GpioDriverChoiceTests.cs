using Appliance.Hardware.Gpio;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Gpio;

/// <summary>Which driver a GPIO button goes through, from what the OS has (<see cref="GpioDriverChoice.Pick"/>).</summary>
public sealed class GpioDriverChoiceTests
{
    public static TheoryData<string, GpioBias, string?, bool, bool, GpioDriverKind, string> Rows => new()
    {
        { "Debian 12's libgpiod2 (1.6.3): GpioController", GpioBias.PullUp, "1.6.3", true, false, GpioDriverKind.LibGpiod, "System.Device.Gpio GpioController, LibGpiodDriver (libgpiod 1.6.3, libgpiod.so.2)" },
        { "libgpiod 1.x with 2.x beside it: 1.x", GpioBias.PullDown, "1.6.3", true, true, GpioDriverKind.LibGpiod, "LibGpiodDriver (libgpiod 1.6.3" },
        { "keep the board's bias: Input", GpioBias.AsIs, "1.6.3", true, false, GpioDriverKind.LibGpiod, "LibGpiodDriver" },
        { "libgpiod 1.4 cannot pull", GpioBias.PullUp, "1.4.1", true, false, GpioDriverKind.CharacterDevice, "libgpiod 1.4.1 (libgpiod.so.2) is older than 1.5" },
        { "libgpiod 1.4 without a pull is fine", GpioBias.AsIs, "1.4.1", true, false, GpioDriverKind.LibGpiod, "LibGpiodDriver (libgpiod 1.4.1" },
        { "an unreadable version cannot be trusted to pull", GpioBias.PullUp, "unknown", true, false, GpioDriverKind.CharacterDevice, "older than 1.5" },
        { "bias off has no PinMode", GpioBias.Disabled, "1.6.3", true, false, GpioDriverKind.Direct, "buttonBias 'disabled' has no System.Device.Gpio PinMode" },
        { "trixie's libgpiod3 only", GpioBias.PullUp, null, true, true, GpioDriverKind.CharacterDevice, "only libgpiod 2.x (libgpiod.so.3) is installed" },
        { "libgpiod 1.x on a kernel without the uAPI v1 (Debian's Linux 7)", GpioBias.PullUp, "1.6.3", false, false, GpioDriverKind.CharacterDevice, "speaks the GPIO uAPI v1, which this kernel does not have (CONFIG_GPIO_CDEV_V1)" },
        { "no libgpiod at all", GpioBias.PullUp, null, true, false, GpioDriverKind.CharacterDevice, "no libgpiod.so.2 (libgpiod 1.x; Debian: apt install libgpiod2)" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    [Trait("Category", TestCategories.Unit)]
    public void Picks_by_what_loads(string row, GpioBias bias, string? v1, bool uapiV1, bool v2, GpioDriverKind kind, string reason)
    {
        var choice = GpioDriverChoice.Pick(bias, v1, uapiV1, v2);
        Assert.True(choice.Kind == kind, $"{row}: {choice.Kind}, not {kind} ({choice.Reason})");
        Assert.Contains(reason, choice.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.6.3", "1.6")]
    [InlineData("1.5", "1.5")]
    [InlineData("1.4.1-dirty", "1.4")]
    [InlineData("2.1rc1", "2.1")]
    [InlineData("1", null)]
    [InlineData("", null)]
    [InlineData("x.y", null)]
    [InlineData("1.-3", null)]
    [Trait("Category", TestCategories.Unit)]
    public void Reads_major_and_minor_of_a_libgpiod_version(string text, string? expected) =>
        Assert.Equal(expected, GpioDriverChoice.ParseVersion(text)?.ToString());
}
