using System.Globalization;

namespace Appliance.Hardware.Display;

/// <summary>
/// Lays a <see cref="DisplayStatus"/> out as text pages (pure): which pages exist, and the lines of each, cut to the
/// 21×8 character grid of a 128×64 panel in the 6×8 font. Long text wraps onto at most two lines and ends in "…"
/// where it was cut, so a cut is never mistaken for the whole value; counts above 99999 show as "99999+".
/// </summary>
public static class PageLayout
{
    /// <summary>Characters per line: 128 pixels / 6-pixel cells.</summary>
    public const int Columns = FrameBuffer.Width / Font5x7.Advance;

    /// <summary>Lines under the title bar.</summary>
    public const int BodyLines = FrameBuffer.Pages - 1;

    private const int MaxCount = 99_999;

    /// <summary>The pages for this status, in cycling order: a node not joined yet has no mesh, a non-gateway no clients.</summary>
    public static IReadOnlyList<StatusPage> PagesFor(DisplayStatus status) =>
        !status.Joined ? [StatusPage.Node, StatusPage.Uptime]
        : status.IsGateway ? [StatusPage.Node, StatusPage.Mesh, StatusPage.Gateway, StatusPage.Uptime]
        : [StatusPage.Node, StatusPage.Mesh, StatusPage.Uptime];

    /// <summary>Lays out <paramref name="page"/>; a page this status does not have (see <see cref="PagesFor"/>) is an error.</summary>
    public static PageText Layout(DisplayStatus status, StatusPage page)
    {
        var pages = PagesFor(status);
        var index = IndexOf(pages, page);
        if (index < 0)
        {
            throw new ArgumentException($"this status has no {page} page", nameof(page));
        }
        var lines = new List<string>(BodyLines);
        string title;
        switch (page)
        {
            case StatusPage.Node when !status.Joined:
                title = "NOT JOINED";
                lines.Add("waiting for a join");
                lines.Add("token:");
                lines.Add("appliance-agent join");
                lines.Add("  --token <token>");
                break;
            case StatusPage.Node:
                title = "NODE";
                Wrap(lines, status.NodeName!, 2);
                Wrap(lines, "net " + (status.Network ?? "?"), 1);
                // Two addresses at most (IPv4 and IPv6 as the server assigns them), an IPv6 one may take two lines.
                foreach (var address in status.MeshAddresses.Take(2))
                {
                    Wrap(lines, address, 2);
                }
                if (status.MeshAddresses.Count == 0)
                {
                    lines.Add("no mesh address yet");
                }
                break;
            case StatusPage.Mesh:
                title = "MESH";
                lines.Add("server " + status.Server switch
                {
                    ServerLink.Connected => "connected",
                    ServerLink.Unreachable => "unreachable",
                    _ => "connecting",
                });
                lines.Add("peers  " + Count(status.PeersTotal));
                lines.Add("active " + Count(status.PeersRecent));
                lines.Add("(handshake < 3 min)");
                break;
            case StatusPage.Gateway:
                title = "GATEWAY";
                lines.Add("clients " + Count(status.GatewayClientsTotal ?? 0));
                lines.Add("active  " + Count(status.GatewayClientsRecent ?? 0));
                lines.Add("(handshake < 3 min)");
                break;
            case StatusPage.Uptime:
                title = "UPTIME";
                lines.Add("system " + Uptime(status.SystemUptime));
                lines.Add("agent  " + Uptime(status.AgentUptime));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(page), page, null);
        }
        return new PageText(title, $"{index + 1}/{pages.Count}", [.. lines.Take(BodyLines).Select(l => Fit(l, Columns))]);
    }

    /// <summary>Draws a laid-out page: the title bar inverted on row 0 with the position on its right, the lines below.</summary>
    public static FrameBuffer Render(PageText page, FrameBuffer? into = null)
    {
        var frame = into ?? new FrameBuffer();
        frame.Clear();
        var position = Fit(page.Position, 5);
        var titleRoom = Columns - position.Length - 1;
        frame.DrawText(0, 1, Fit(page.Title, titleRoom));
        frame.DrawText(0, FrameBuffer.Width - (position.Length * Font5x7.Advance), position);
        frame.InvertRow(0);
        for (var i = 0; i < page.Lines.Count && i < BodyLines; i++)
        {
            frame.DrawText(i + 1, 0, Fit(page.Lines[i], Columns));
        }
        return frame;
    }

    /// <summary>Uptime at minute resolution: "45m", "3h 07m", "12d 04h07m" (negative counts as zero).</summary>
    public static string Uptime(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            t = TimeSpan.Zero;
        }
        var days = Math.Min((long)t.TotalDays, MaxCount);
        return days > 0 ? string.Create(CultureInfo.InvariantCulture, $"{days}d {t.Hours:00}h{t.Minutes:00}m")
            : t.Hours > 0 ? string.Create(CultureInfo.InvariantCulture, $"{t.Hours}h {t.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m");
    }

    /// <summary>
    /// <paramref name="text"/> as it is drawn in <paramref name="width"/> cells: characters the font lacks become '?',
    /// and text that is too long is cut to <paramref name="width"/> - 1 characters and "…".
    /// </summary>
    public static string Fit(string text, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var clean = Clean(text);
        return clean.Length <= width ? clean : string.Concat(clean.AsSpan(0, width - 1), Font5x7.Ellipsis.ToString());
    }

    /// <summary>Adds <paramref name="text"/> in lines of <see cref="Columns"/>, at most <paramref name="maxLines"/>; the last one cut with "…".</summary>
    private static void Wrap(List<string> lines, string text, int maxLines)
    {
        var clean = Clean(text);
        for (var n = 0; n < maxLines && clean.Length > 0; n++)
        {
            if (n == maxLines - 1 || clean.Length <= Columns)
            {
                lines.Add(Fit(clean, Columns));
                return;
            }
            lines.Add(clean[..Columns]);
            clean = clean[Columns..];
        }
    }

    private static string Clean(string text)
    {
        // Bounded before any work: a page never holds more than its grid, whatever the input's length.
        var span = text.AsSpan(0, Math.Min(text.Length, Columns * FrameBuffer.Pages));
        return string.Create(span.Length, span.ToString(), static (dst, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                dst[i] = Font5x7.Has(s[i]) ? s[i] : Font5x7.Replacement;
            }
        });
    }

    private static string Count(int n) =>
        n > MaxCount ? $"{MaxCount}+" : Math.Max(n, 0).ToString(CultureInfo.InvariantCulture);

    private static int IndexOf(IReadOnlyList<StatusPage> pages, StatusPage page)
    {
        for (var i = 0; i < pages.Count; i++)
        {
            if (pages[i] == page)
            {
                return i;
            }
        }
        return -1;
    }
}
