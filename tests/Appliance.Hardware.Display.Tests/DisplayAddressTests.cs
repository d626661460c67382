using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

public sealed class DisplayAddressTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("i2c-1:0x3c", 1, 0x3C)]
    [InlineData("i2c-1:0x3D", 1, 0x3D)]
    [InlineData("i2c-0:60", 0, 0x3C)]
    [InlineData("i2c-22", 22, 0x3C)]
    [InlineData("i2c-1023:0x77", 1023, 0x77)]
    [InlineData("i2c-3:0x08", 3, 0x08)]
    public void Parses_a_bus_and_an_address(string text, int bus, int address)
    {
        var parsed = DisplayAddress.Parse(text);

        Assert.Equal(new DisplayAddress(bus, address), parsed);
        Assert.Equal($"/dev/i2c-{bus}", parsed.DevicePath);
        Assert.Equal(parsed, DisplayAddress.Parse(parsed.ToString()));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("empty", "", "i2c-N[:ADDR]")]
    [InlineData("no bus number", "i2c-:0x3c", "bus must be i2c-N")]
    [InlineData("a path, not a bus", "/dev/i2c-1:0x3c", "bus must be i2c-N")]
    [InlineData("negative bus", "i2c--1", "bus must be i2c-N")]
    [InlineData("bus too high", "i2c-1024:0x3c", "bus must be i2c-N")]
    [InlineData("spaces", "i2c- 1", "bus must be i2c-N")]
    [InlineData("reserved low address", "i2c-1:0x07", "7-bit I2C address")]
    [InlineData("reserved high address", "i2c-1:0x78", "7-bit I2C address")]
    [InlineData("8-bit address", "i2c-1:0x78", "not '0x78'")]
    [InlineData("bare 0x", "i2c-1:0x", "7-bit I2C address")]
    [InlineData("not a number", "i2c-1:oled", "not 'oled'")]
    [InlineData("empty address", "i2c-1:", "7-bit I2C address")]
    [InlineData("too long", "i2c-1:0x3c0000000000000000000000000000000", "i2c-N[:ADDR]")]
    public void Refuses_what_is_not_a_bus_and_address_saying_why(string row, string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => DisplayAddress.Parse(text));

        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{row}: {e.Message}");
    }
}
