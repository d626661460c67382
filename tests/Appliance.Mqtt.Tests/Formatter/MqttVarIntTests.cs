using Appliance.Mqtt.Formatter;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

public sealed class MqttVarIntTests
{
    // 3.1.1 table 2.4: the boundaries of 1, 2, 3 and 4 byte encodings.
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(0, "00")]
    [InlineData(127, "7f")]
    [InlineData(128, "80 01")]
    [InlineData(16_383, "ff 7f")]
    [InlineData(16_384, "80 80 01")]
    [InlineData(2_097_151, "ff ff 7f")]
    [InlineData(2_097_152, "80 80 80 01")]
    [InlineData(268_435_455, "ff ff ff 7f")]
    public void Boundaries_encode_and_decode(int value, string hex)
    {
        var buffer = new byte[4];
        var n = MqttVarInt.Write(buffer, value);
        Assert.Equal(hex, Hex.Format(buffer.AsSpan(0, n)));
        Assert.Equal(MqttDecodeStatus.Complete, MqttVarInt.TryRead(Hex.Parse(hex), out var back, out var read));
        Assert.Equal((value, n), (back, read));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(-1)]
    [InlineData(268_435_456)]
    public void Out_of_range_values_are_refused(int value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MqttVarInt.GetSize(value));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("ff ff ff ff 7f", MqttDecodeStatus.Malformed)]
    [InlineData("80 80 80 80", MqttDecodeStatus.Malformed)]
    [InlineData("80 80 80", MqttDecodeStatus.NeedMoreData)]
    [InlineData("", MqttDecodeStatus.NeedMoreData)]
    public void Bad_or_partial_integers(string hex, MqttDecodeStatus expected)
    {
        Assert.Equal(expected, MqttVarInt.TryRead(Hex.Parse(hex), out _, out _));
    }
}
