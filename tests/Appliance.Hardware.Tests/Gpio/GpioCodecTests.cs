using Appliance.Hardware.Gpio;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Gpio;

/// <summary>
/// The GPIO v2 structs against golden bytes that a C program wrote from linux/gpio.h's own structs (built with gcc for
/// x86-64 and aarch64-linux-gnu-gcc for arm64: the same bytes, sizes and offsets on both).
/// </summary>
public sealed class GpioCodecTests
{
    // struct gpio_v2_line_request, as gpiomon --bias=pull-up --active-low --debounce-period=30ms -c gpiochip0 17 asks for it.
    private const string Line17Request = """
        11000000 00000000 00000000 00000000   | offsets[0] = 17
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
        00000000 00000000 00000000 00000000   | offsets[1..63] (256 bytes in all)
        6170706c69616e63652d6167656e7400 00000000000000000000000000000000   | consumer "appliance-agent"
        3601000000000000                      | config.flags: ACTIVE_LOW|INPUT|EDGE_RISING|EDGE_FALLING|BIAS_PULL_UP (0x136)
        01000000                              | config.num_attrs = 1
        0000000000000000000000000000000000000000   | config.padding[5]
        03000000 00000000 3075000000000000 0100000000000000   | attrs[0]: DEBOUNCE, 30000 us, mask line 0
        """;

    private static string Request(GpioLineRequest r)
    {
        var bytes = new byte[GpioCodec.RequestSize];
        GpioCodec.WriteLineRequest(bytes, r);
        return Convert.ToHexStringLower(bytes);
    }

    private static string Golden(string head)
    {
        var bytes = new byte[GpioCodec.RequestSize];
        Hex.Parse(head).CopyTo(bytes, 0);
        // num_lines = 1, event_buffer_size = 16, padding[5], fd = -1
        Hex.Parse("01000000 10000000 0000000000000000000000000000000000000000 ffffffff").CopyTo(bytes, 560);
        return Convert.ToHexStringLower(bytes);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_active_low_pulled_up_debounced_line_request_matches_the_kernel_struct() =>
        Assert.Equal(Golden(Line17Request), Request(new GpioLineRequest(17, true, GpioBias.PullUp, TimeSpan.FromMilliseconds(30))));

    public static TheoryData<string, GpioLineRequest, string> Flags => new()
    {
        // config.flags at byte 288; no debounce: num_attrs stays 0.
        { "active high, pull-down", new GpioLineRequest(3, false, GpioBias.PullDown, TimeSpan.Zero), "3402000000000000 00000000" },
        { "bias as is", new GpioLineRequest(3, true, GpioBias.AsIs, TimeSpan.Zero), "3600000000000000 00000000" },
        { "bias disabled", new GpioLineRequest(3, true, GpioBias.Disabled, TimeSpan.Zero), "3604000000000000 00000000" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Flags))]
    public void Polarity_and_bias_set_the_line_flags(string name, GpioLineRequest request, string flagsAndAttrs)
    {
        var hex = Request(request);
        Assert.True(Convert.ToHexStringLower(Hex.Parse(flagsAndAttrs)) == hex.Substring(288 * 2, 12 * 2), $"{name}: {hex.Substring(288 * 2, 24)}");
        Assert.Equal("03000000", hex.Substring(0, 8));
        // No debounce attribute: the first attribute slot stays zero.
        Assert.Equal(new string('0', 48), hex.Substring((288 + 32) * 2, 48));
    }

    public static TheoryData<string, GpioLineRequest, int> BadRequests => new()
    {
        { "negative debounce", new GpioLineRequest(1, true, GpioBias.PullUp, TimeSpan.FromMilliseconds(-1)), GpioCodec.RequestSize },
        { "debounce over 1 s", new GpioLineRequest(1, true, GpioBias.PullUp, TimeSpan.FromSeconds(2)), GpioCodec.RequestSize },
        { "empty consumer", new GpioLineRequest(1, true, GpioBias.PullUp, TimeSpan.Zero, ""), GpioCodec.RequestSize },
        { "consumer of 32 bytes", new GpioLineRequest(1, true, GpioBias.PullUp, TimeSpan.Zero, new string('c', 32)), GpioCodec.RequestSize },
        { "buffer too small", new GpioLineRequest(1, true, GpioBias.PullUp, TimeSpan.Zero), GpioCodec.RequestSize - 1 },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(BadRequests))]
    public void Bad_requests_are_refused_before_anything_is_written(string name, GpioLineRequest request, int size)
    {
        var bytes = Enumerable.Repeat((byte)0xAA, size).ToArray();
        var e = Assert.ThrowsAny<ArgumentException>(() => GpioCodec.WriteLineRequest(bytes, request));
        Assert.True(bytes.All(b => b == 0xAA), name + ": the buffer was touched");
        Assert.False(string.IsNullOrEmpty(e.Message));
    }

    // struct gpio_v2_line_event: timestamp_ns 0x1234567890, id FALLING_EDGE, offset 17, seqno 3, line_seqno 3.
    private const string FallingEvent = """
        9078563412000000   | timestamp_ns
        02000000           | id = GPIO_V2_LINE_EVENT_FALLING_EDGE
        11000000           | offset = 17
        03000000 03000000  | seqno, line_seqno
        000000000000000000000000000000000000000000000000   | padding[6]
        """;

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_kernel_event_record_decodes_and_encodes_back()
    {
        var e = GpioCodec.ReadEvent(Hex.Parse(FallingEvent));
        Assert.Equal(new GpioLineEvent(0x1234567890, false, 17, 3), e);
        var back = new byte[GpioCodec.EventSize];
        GpioCodec.WriteEvent(back, e);
        Assert.Equal(Convert.ToHexStringLower(Hex.Parse(FallingEvent)), Convert.ToHexStringLower(back));
        var rising = Hex.Parse(FallingEvent);
        rising[8] = 1;
        Assert.True(GpioCodec.ReadEvent(rising).Rising);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Malformed_event_records_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GpioCodec.ReadEvent(new byte[GpioCodec.EventSize - 1]));
        var bad = Hex.Parse(FallingEvent);
        bad[8] = 7;
        Assert.Contains("id 7", Assert.Throws<FormatException>(() => GpioCodec.ReadEvent(bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Chip_info_decodes()
    {
        // struct gpiochip_info: name "gpiochip1", label "gpio-sim.0-node0", lines = 8.
        var info = Hex.Parse("""
            6770696f63686970310000000000000000000000000000000000000000000000   | name
            6770696f2d73696d2e302d6e6f64653000000000000000000000000000000000   | label
            08000000                                                           | lines
            """);
        Assert.Equal(68, info.Length);
        Assert.Equal(new GpioChipInfo("gpiochip1", "gpio-sim.0-node0", 8), GpioCodec.ReadChipInfo(info));
        Assert.Throws<ArgumentException>(() => GpioCodec.ReadChipInfo(info.AsSpan(0, 67)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_struct_sizes_are_the_kernel_ones()
    {
        Assert.Equal(592, GpioCodec.RequestSize);
        Assert.Equal(48, GpioCodec.EventSize);
        Assert.Equal(68, GpioCodec.ChipInfoSize);
        // _IOWR(0xB4, 0x07, 592) and _IOR(0xB4, 0x01, 68): the size is in bits 16..29.
        Assert.Equal(592u, (Interop.gpio_v2.GPIO_V2_GET_LINE_IOCTL >> 16) & 0x3FFF);
        Assert.Equal(68u, (Interop.gpio_v2.GPIO_GET_CHIPINFO_IOCTL >> 16) & 0x3FFF);
    }
}
