using System.Net;
using Appliance.Agent.Mesh;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class HostsBlockTests
{
    private const string Original = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# a user comment\n192.168.1.5 nas\n";
    private static readonly (string, IPAddress)[] Names = [("a.home", IPAddress.Parse("10.10.0.1")), ("b.home", IPAddress.Parse("10.10.0.2"))];

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Adds_a_marked_block_and_keeps_every_other_line()
    {
        var text = HostsBlock.Render(Original, "home", Names);
        Assert.StartsWith(Original, text, StringComparison.Ordinal);
        Assert.EndsWith(
            "# BEGIN appliance home (managed by appliance-agent, do not edit)\n10.10.0.1\ta.home\n10.10.0.2\tb.home\n# END appliance home\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Replacing_and_removing_are_exact()
    {
        var once = HostsBlock.Render(Original, "home", Names);
        Assert.Equal(once, HostsBlock.Render(once, "home", Names));
        var changed = HostsBlock.Render(once, "home", [Names[0]]);
        Assert.DoesNotContain("b.home", changed, StringComparison.Ordinal);
        var other = HostsBlock.Render(changed, "office", [("x.office", IPAddress.Parse("10.20.0.1"))]);
        Assert.Contains("a.home", other, StringComparison.Ordinal);
        Assert.Equal(Original, HostsBlock.Remove(HostsBlock.Remove(other, "home"), "office"));
        Assert.Equal(Original, HostsBlock.Render(once, "home", []));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("", "")]
    [InlineData("127.0.0.1 localhost\n\n", "127.0.0.1 localhost\n\n")]
    [InlineData("127.0.0.1 localhost", "127.0.0.1 localhost\n")] // the block needed a line break before it
    public void Removing_the_block_gives_back_the_file(string original, string expected) =>
        Assert.Equal(expected, HostsBlock.Remove(HostsBlock.Render(original, "home", Names), "home"));

    /// <summary>Damaged files, "B"/"E" standing for the network's begin and end marker lines: only complete blocks go.</summary>
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("begin without end keeps the rest", "a\nB\nb\nc\n", "a\nB\nb\nc\n")]
    [InlineData("begin without end at the last line", "a\nb\nB", "a\nb\nB")]
    [InlineData("end before any begin", "a\nE\nb\nB\nc\n", "a\nE\nb\nB\nc\n")]
    [InlineData("end alone", "a\nE\nb\n", "a\nE\nb\n")]
    [InlineData("stray end, then a complete block", "a\nE\nB\nx\nE\nb\n", "a\nE\nb\n")]
    [InlineData("two begins then one end: only the inner block", "a\nB\nb\nB\nx\nE\nc\n", "a\nB\nb\nc\n")]
    [InlineData("a block then a second end", "a\nB\nx\nE\nb\nE\nc\n", "a\nb\nE\nc\n")]
    [InlineData("two complete blocks", "a\nB\nx\nE\nb\nB\ny\nE\nc\n", "a\nb\nc\n")]
    [InlineData("another network's block is not ours", "a\nO\nx\nP\nb\n", "a\nO\nx\nP\nb\n")]
    [InlineData("our begin closed only by another network's end", "a\nB\nx\nP\nb\n", "a\nB\nx\nP\nb\n")]
    public void Malformed_markers_never_remove_beyond_a_complete_block(string row, string file, string expected)
    {
        string Expand(string s) => string.Join('\n', s.Split('\n').Select(l => l switch
        {
            "B" => HostsBlock.Begin("home"),
            "E" => HostsBlock.End("home"),
            "O" => HostsBlock.Begin("office"),
            "P" => HostsBlock.End("office"),
            _ => l,
        }));
        Assert.True(Expand(expected) == HostsBlock.Remove(Expand(file), "home"), row);
        // Writing the block over a damaged file keeps every line of it, and writing again changes nothing.
        var once = HostsBlock.Render(Expand(file), "home", Names);
        Assert.StartsWith(Expand(expected).TrimEnd('\n'), once, StringComparison.Ordinal);
        Assert.Equal(once, HostsBlock.Render(once, "home", Names));
    }
}
