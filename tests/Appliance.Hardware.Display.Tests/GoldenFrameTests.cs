using Appliance.Hardware.Display.VmProbe;
using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

/// <summary>Each sample status and page, laid out and rendered, against its checked-in golden frame.</summary>
public sealed class GoldenFrameTests
{
    public static TheoryData<string> Names() => [.. DisplaySamples.Frames.Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    [Trait("Category", TestCategories.Unit)]
    public void Page_renders_to_its_golden_frame(string name)
    {
        var (_, status, page) = DisplaySamples.Frames.Single(f => f.Name == name);

        var frame = PageLayout.Render(PageLayout.Layout(status, page));

        Goldens.AssertFrame(name, frame);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_differing_frame_fails_with_both_pictures_and_the_rows_that_differ_marked()
    {
        var expected = PageLayout.Render(PageLayout.Layout(DisplaySamples.Member, StatusPage.Node));
        var actual = PageLayout.Render(PageLayout.Layout(DisplaySamples.Gateway, StatusPage.Node));

        var diff = Goldens.Diff(expected, actual);

        var lines = diff.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FrameBuffer.Height + 1, lines.Length);
        // Pixel row 7 (the title bar's spacing row, lit in both) is the same; the name's rows (8..15) differ.
        Assert.StartsWith("  ", lines[8], StringComparison.Ordinal);
        Assert.Contains(lines.Skip(9).Take(8), l => l.StartsWith("! ", StringComparison.Ordinal));
        Assert.Equal(expected.ToAscii().Split('\n')[9], lines[10][2..(2 + FrameBuffer.Width)]);
        Assert.Equal(actual.ToAscii().Split('\n')[9], lines[10][(FrameBuffer.Width + 5)..]);
    }
}
