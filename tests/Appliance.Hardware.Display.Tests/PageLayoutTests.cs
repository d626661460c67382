using Appliance.Hardware.Display.VmProbe;
using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

public sealed class PageLayoutTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_member_has_node_mesh_and_uptime_pages_a_gateway_also_its_clients_a_new_box_no_mesh()
    {
        Assert.Equal([StatusPage.Node, StatusPage.Mesh, StatusPage.Uptime], PageLayout.PagesFor(DisplaySamples.Member));
        Assert.Equal([StatusPage.Node, StatusPage.Mesh, StatusPage.Gateway, StatusPage.Uptime], PageLayout.PagesFor(DisplaySamples.Gateway));
        Assert.Equal([StatusPage.Node, StatusPage.Uptime], PageLayout.PagesFor(DisplaySamples.NotJoined));
        var e = Assert.Throws<ArgumentException>(() => PageLayout.Layout(DisplaySamples.Member, StatusPage.Gateway));
        Assert.Contains("no Gateway page", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Pages_say_the_node_its_addresses_the_server_and_peer_status_the_clients_and_the_uptimes()
    {
        var node = PageLayout.Layout(DisplaySamples.Member, StatusPage.Node);
        var mesh = PageLayout.Layout(DisplaySamples.Member, StatusPage.Mesh);
        var uptime = PageLayout.Layout(DisplaySamples.Member, StatusPage.Uptime);
        var clients = PageLayout.Layout(DisplaySamples.Gateway, StatusPage.Gateway);

        Assert.Equal(("NODE", "1/3"), (node.Title, node.Position));
        Assert.Equal(["office-pi", "net home", "10.10.0.2", "fd10::2"], node.Lines);
        Assert.Equal(["server connected", "peers  5", "active 3", "(handshake < 3 min)"], mesh.Lines);
        Assert.Equal("2/3", mesh.Position);
        Assert.Equal(["system 3d 04h05m", "agent  1h 02m"], uptime.Lines);
        Assert.Equal(("GATEWAY", "3/4"), (clients.Title, clients.Position));
        Assert.Equal(["clients 5", "active  2", "(handshake < 3 min)"], clients.Lines);
        Assert.Equal("server unreachable", PageLayout.Layout(DisplaySamples.Long, StatusPage.Mesh).Lines[0]);
        Assert.Equal("server connecting", PageLayout.Layout(DisplaySamples.Member with { Server = ServerLink.Unknown }, StatusPage.Mesh).Lines[0]);
        Assert.Equal(("NOT JOINED", "waiting for a join"), (PageLayout.Layout(DisplaySamples.NotJoined, StatusPage.Node).Title, PageLayout.Layout(DisplaySamples.NotJoined, StatusPage.Node).Lines[0]));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Long_text_wraps_onto_two_lines_at_most_and_ends_in_an_ellipsis_where_it_was_cut()
    {
        var node = PageLayout.Layout(DisplaySamples.Long, StatusPage.Node);

        Assert.All(node.Lines, l => Assert.InRange(l.Length, 1, PageLayout.Columns));
        Assert.True(node.Lines.Count <= PageLayout.BodyLines);
        // The 52-character name: 21 characters, then 20 and "…".
        Assert.Equal("rack12-slot03-raspber", node.Lines[0]);
        Assert.Equal("ry-pi-4b-in-the-base\u2026", node.Lines[1]);
        Assert.Equal("net a-network-with-a\u2026", node.Lines[2]);
        Assert.Equal("10.200.100.250", node.Lines[3]);
        // A 39-character IPv6 address fits two lines whole; the third address is not shown.
        Assert.Equal("fd12:3456:789a:bcde:f", node.Lines[4]);
        Assert.Equal("012:3456:789a:bcde", node.Lines[5]);
        Assert.Equal(6, node.Lines.Count);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("short", 21, "short")]
    [InlineData("exactly-twenty-one-ch", 21, "exactly-twenty-one-ch")]
    [InlineData("twenty-two-characters", 21, "twenty-two-characters")]
    [InlineData("twenty-two-characters!", 21, "twenty-two-character\u2026")]
    [InlineData("tab\there", 21, "tab?here")]
    [InlineData("caf\u00e9-\u2603", 21, "caf?-?")]
    [InlineData("abc", 1, "\u2026")]
    public void Fit_replaces_what_the_font_lacks_and_cuts_with_an_ellipsis(string text, int width, string expected)
    {
        Assert.Equal(expected, PageLayout.Fit(text, width));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Input_of_any_length_is_bounded_before_it_is_laid_out()
    {
        var huge = new string('x', 1_000_000);
        var page = PageLayout.Layout(DisplaySamples.Member with { NodeName = huge, MeshAddresses = [.. Enumerable.Repeat(huge, 10_000)] }, StatusPage.Node);

        Assert.Equal(PageLayout.BodyLines, page.Lines.Count);
        Assert.All(page.Lines, l => Assert.True(l.Length <= PageLayout.Columns));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(0, 3, "peers  3", "active 0")]
    [InlineData(-5, 3, "peers  3", "active 0")]
    [InlineData(99_999, 99_999, "peers  99999", "active 99999")]
    [InlineData(5, 100_000, "peers  99999+", "active 5")]
    [InlineData(int.MaxValue, int.MaxValue, "peers  99999+", "active 99999+")]
    public void Counts_are_clamped_to_what_the_line_can_show(int recent, int total, string peers, string active)
    {
        var lines = PageLayout.Layout(DisplaySamples.Member with { PeersRecent = recent, PeersTotal = total }, StatusPage.Mesh).Lines;

        Assert.Equal((peers, active), (lines[1], lines[2]));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(0, "0m")]
    [InlineData(59, "0m")]
    [InlineData(45 * 60, "45m")]
    [InlineData(3 * 3600 + 7 * 60 + 59, "3h 07m")]
    [InlineData(12 * 86400 + 4 * 3600 + 7 * 60, "12d 04h07m")]
    [InlineData(-10, "0m")]
    public void Uptime_is_shown_to_the_minute(long seconds, string expected)
    {
        Assert.Equal(expected, PageLayout.Uptime(TimeSpan.FromSeconds(seconds)));
    }
}
