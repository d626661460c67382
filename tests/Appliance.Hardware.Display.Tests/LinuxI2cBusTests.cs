using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

/// <summary>The i2c-dev bus against this machine's /dev (the VM tests drive a real adapter).</summary>
public sealed class LinuxI2cBusTests
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void A_bus_that_does_not_exist_is_a_clear_error_naming_the_device_node()
    {
        var e = Assert.Throws<DisplayUnavailableException>(() => LinuxI2cBus.Open(new DisplayAddress(1000, 0x3C)));

        Assert.StartsWith("no /dev/i2c-1000: the I2C bus is not enabled", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void A_device_node_that_is_not_an_i2c_adapter_is_refused()
    {
        // /dev/null opens, but the I2C_FUNCS ioctl is not one of its calls.
        var e = Assert.Throws<DisplayUnavailableException>(() => OpenPath("/dev/null"));

        Assert.Contains("/dev/null is not an I2C adapter", e.Message, StringComparison.Ordinal);
    }

    private static LinuxI2cBus OpenPath(string path) => LinuxI2cBus.Open(path, new DisplayAddress(0, 0x3C));
}
