using Appliance.Hardware.Button;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Button;

public sealed class EvdevCodecTests
{
    public static TheoryData<string, string, bool?> Records => new()
    {
        // tv_sec=1 tv_usec=2, EV_KEY (1), KEY_RESTART (0x198), value 1: pressed
        { "restart down", "01000000 00000000 02000000 00000000 0100 9801 01000000", true },
        { "restart up", "01000000 00000000 02000000 00000000 0100 9801 00000000", false },
        { "autorepeat is no edge", "01000000 00000000 02000000 00000000 0100 9801 02000000", null },
        { "another key", "01000000 00000000 02000000 00000000 0100 1c00 01000000", null },
        { "EV_SYN", "01000000 00000000 02000000 00000000 0000 0000 00000000", null },
        { "EV_LED capslock on", "01000000 00000000 02000000 00000000 1100 0100 01000000", null },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Records))]
    public void Input_events_decode(string name, string hex, bool? expected)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.True(expected == EvdevCodec.KeyState(bytes, EvdevCodec.KeyRestart), name);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_short_record_is_refused() =>
        Assert.Throws<ArgumentException>(() => EvdevCodec.KeyState(new byte[16], EvdevCodec.KeyRestart));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_written_record_decodes_back()
    {
        var r = new byte[EvdevCodec.EventSize];
        EvdevCodec.Write(r, 1, 408, 1);
        Assert.Equal("000000000000000000000000000000000100980101000000", Convert.ToHexString(r));
        Assert.True(EvdevCodec.KeyState(r, 408));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("1000000 0 0 0 0 0 0", 408, true)] // 408 = 6*64 + 24
    [InlineData("1000000 0 0 0 0 0 0", 407, false)]
    [InlineData("10000000", 28, true)]
    [InlineData("10000000", 408, false)]
    [InlineData("0", 0, false)]
    [InlineData("fffffffffffffffe", 1, true)]
    public void Key_capability_bitmaps_decode(string bitmap, int bit, bool expected) =>
        Assert.Equal(expected, EvdevCodec.HasCapability(bitmap, bit));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_garbled_bitmap_is_a_format_error() =>
        Assert.Throws<FormatException>(() => EvdevCodec.HasCapability("zz 0", 64));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("restart", 408)]
    [InlineData("RESTART", 408)]
    [InlineData("power", 116)]
    [InlineData("28", 28)]
    public void Key_names_parse(string text, int code) => Assert.Equal(code, EvdevCodec.ParseKey(text));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("0")]
    [InlineData("768")]
    [InlineData("-1")]
    [InlineData("reboot-now")]
    public void Bad_keys_are_refused_by_name(string text) =>
        Assert.Contains(text, Assert.Throws<FormatException>(() => EvdevCodec.ParseKey(text)).Message, StringComparison.Ordinal);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Find_picks_the_first_input_device_with_the_key()
    {
        using var dir = new TempDirectory("evdev-find");
        foreach (var (name, caps) in new[] { ("event0", "10000000"), ("event1", "1000000 0 0 0 0 0 0"), ("event2", "1000000 0 0 0 0 0 0") })
        {
            Directory.CreateDirectory(dir.Combine(name, "device", "capabilities"));
            File.WriteAllText(dir.Combine(name, "device", "capabilities", "key"), caps + "\n");
        }
        Assert.Equal("/dev/input/event1", EvdevButton.Find(EvdevCodec.KeyRestart, dir.Path));
        Assert.Equal("/dev/input/event0", EvdevButton.Find(28, dir.Path));
        Assert.Null(EvdevButton.Find(116, dir.Path));
        Assert.Null(EvdevButton.Find(116, dir.Combine("missing")));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Opening_a_missing_device_names_it() =>
        Assert.Contains("/dev/input/event-none", Assert.Throws<IOException>(() => EvdevButton.Open("/dev/input/event-none", 408)).Message, StringComparison.Ordinal);
}
