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

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Holds_the_last_capacity_characters_of_everything_written_across_wraps_and_allocates_nothing_per_line()
    {
        var random = new Random(15);
        var all = new System.Text.StringBuilder();
        var tail = new OutputTail(37);
        for (var i = 0; i < 2000; i++)
        {
            // Lines shorter and longer than the capacity, and empty ones.
            var line = new string((char)('a' + i % 26), random.Next(0, 90));
            tail.AppendLine(line);
            all.Append(line).Append('\n');
            var expected = all.ToString();
            Assert.Equal(expected[Math.Max(0, expected.Length - 37)..], tail.ToString());
        }
        var steady = new OutputTail();
        const string Line = "peer(AbCd) - Failed to send handshake initiation: network is unreachable";
        steady.AppendLine(Line);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            steady.AppendLine(Line);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
