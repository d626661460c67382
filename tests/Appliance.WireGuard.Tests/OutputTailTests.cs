using Appliance.TestSupport;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard.Tests;

public sealed class OutputTailTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Keeps_only_the_newest_text_up_to_its_capacity()
    {
        var tail = new OutputTail(100);
        for (var i = 0; i < 10_000; i++)
        {
            tail.AppendLine($"peer({i}) - Failed to send handshake initiation: network is unreachable");
        }
        var text = tail.ToString();
        Assert.Equal(100, text.Length);
        Assert.EndsWith("peer(9999) - Failed to send handshake initiation: network is unreachable\n", text, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Short_output_is_kept_whole_and_a_capacity_must_be_positive()
    {
        var tail = new OutputTail();
        tail.AppendLine("a");
        tail.AppendLine("b");
        Assert.Equal("a\nb\n", tail.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutputTail(0));
    }
}
