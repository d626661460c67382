using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

/// <summary>The I2cDevice the binding writes to: how its writes become transfers an SMBus-only adapter takes.</summary>
public sealed class Ssd1306I2cDeviceTests
{
    private readonly FakeI2cBus _bus = new() { Address = new DisplayAddress(3, 0x3D) };

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_data_write_is_cut_into_32_byte_chunks_each_with_the_data_control_byte_and_nothing_lost()
    {
        var device = new Ssd1306I2cDevice(_bus);
        var data = Enumerable.Range(0, 1024 + 8).Select(i => (byte)(i * 7)).ToArray();

        device.Write([Ssd1306Command.ControlData, .. data]);

        Assert.Equal(33, _bus.Writes.Count);
        Assert.All(_bus.Writes.Take(32), w => Assert.Equal((Ssd1306Command.ControlData, 33), (w[0], w.Length)));
        Assert.Equal(9, _bus.Writes[^1].Length);
        Assert.Equal(data, _bus.Writes.SelectMany(w => w.Skip(1)).ToArray());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_command_goes_as_one_transfer_as_it_is()
    {
        var device = new Ssd1306I2cDevice(_bus);

        device.Write([Ssd1306Command.ControlCommands, 0x21, 0x00, 0x7F]);

        Assert.Equal("0021007f", Convert.ToHexStringLower(Assert.Single(_bus.Writes)));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("command longer than one transfer", 0x00, 33, "commands are never split")]
    [InlineData("continuation control byte", 0x80, 2, "not 0x80")]
    [InlineData("data control byte and no data", 0x40, 0, "at least one byte")]
    public void Writes_it_cannot_send_whole_are_refused_before_anything_goes_on_the_bus(string row, byte control, int payload, string error)
    {
        var device = new Ssd1306I2cDevice(_bus);

        var e = Assert.Throws<ArgumentException>(() => device.Write([control, .. new byte[payload]]));

        Assert.Contains(error, e.Message, StringComparison.Ordinal);
        Assert.True(_bus.Writes.Count == 0, row);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void It_is_write_only_and_says_where_it_is()
    {
        var device = new Ssd1306I2cDevice(_bus);

        Assert.Throws<NotSupportedException>(() => device.ReadByte());
        Assert.Throws<NotSupportedException>(() => device.Read(new byte[1]));
        Assert.Throws<NotSupportedException>(() => device.WriteByte(0xAE));
        Assert.Equal((3, 0x3D), (device.ConnectionSettings.BusId, device.ConnectionSettings.DeviceAddress));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_binding_panel_starts_with_its_own_sequence_clears_all_64_rows_without_a_bitmap_and_refuses_bitmaps()
    {
        var panel = new StatusSsd1306(new Ssd1306I2cDevice(_bus));

        var writes = _bus.Writes.Select(Convert.ToHexStringLower).ToList();
        // The binding's Initialize: display off first, display on before its clear.
        Assert.Equal("00ae", writes[0]);
        Assert.Contains("00af", writes);
        // Its clear is ours: a window over all eight pages and 1024 zero bytes (the binding's own needs an image library).
        var window = writes.LastIndexOf("0021007f");
        Assert.Equal("00220007", writes[window + 1]);
        var ram = _bus.Writes.Skip(window + 2).ToList();
        Assert.Equal(32, ram.Count);
        Assert.All(ram, w => Assert.Equal([Ssd1306Command.ControlData, .. new byte[32]], w));
        Assert.Throws<NotSupportedException>(() => panel.GetBackBufferCompatibleImage());
        Assert.Throws<NotSupportedException>(() => panel.DrawBitmap(null!));
    }
}
