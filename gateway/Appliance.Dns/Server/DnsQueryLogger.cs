using System.Globalization;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Server;

/// <summary>One line per answered query, in the shape of CoreDNS's <c>log</c> plugin.</summary>
internal static class DnsQueryLogger
{
    public static void Log(Action<string>? sink, in DnsRequest request, ReadOnlySpan<byte> response, string proto)
    {
        if (sink is null || response.Length < DnsHeader.Length)
        {
            return;
        }
        var q = request.Parsed;
        var name = q.QuestionEnd > 0 ? DnsName.ToPresentation(request.Query.Span.Slice(DnsHeader.Length, q.QNameLength)) : "-";
        var flags = DnsHeader.Flags(response);
        var rcode = (DnsResponseCode)DnsHeader.Rcode(flags);
        var remote = request.Remote.Family is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6
            ? ((System.Net.IPEndPoint)new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0).Create(request.Remote)).ToString()
            : "?";
        sink(string.Create(CultureInfo.InvariantCulture,
            $"[INFO] {remote} - {q.Id} \"{q.QType} IN {name}. {proto} {request.Query.Length} {q.DnssecOk.ToString().ToLowerInvariant()} {(q.HasEdns ? q.EdnsUdpSize : 512)}\" {rcode.ToString().ToUpperInvariant()} {((flags & DnsHeader.FlagTruncated) != 0 ? "tc," : "")}{((flags & DnsHeader.FlagAuthoritative) != 0 ? "aa" : "")} {response.Length}"));
    }
}
