using Appliance.Dns.Forwarding;
using Appliance.Dns.Wire;
using Appliance.Dns.Zone;

namespace Appliance.Dns.Server;

/// <summary>
/// Decides every answer: access control (REFUSED), FORMERR/NOTIMP/BADVERS, names from the zone snapshot
/// (answer, NODATA or NXDOMAIN with the zone's SOA), and otherwise the forwarder. Local answers are built
/// synchronously from precomputed bytes; only forwarding awaits.
/// </summary>
public sealed class DnsResponder : IDnsRequestHandler
{
    private readonly Func<DnsZoneSnapshot> _snapshot;
    private readonly DnsForwarder? _forwarder;
    private readonly DnsServerStatistics _stats;
    private readonly ushort _udpSize;

    internal DnsResponder(Func<DnsZoneSnapshot> snapshot, DnsForwarder? forwarder, DnsServerStatistics stats, ushort udpSize)
    {
        _snapshot = snapshot;
        _forwarder = forwarder;
        _stats = stats;
        _udpSize = udpSize;
    }

    public ValueTask<int> HandleAsync(DnsRequest request, Memory<byte> response, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot();
        var query = request.Query.Span;
        var q = request.Parsed;
        var resp = response.Span;
        switch (request.Status)
        {
            case DnsQueryStatus.Drop:
                Interlocked.Increment(ref _stats._dropped);
                return ValueTask.FromResult(0);
            case DnsQueryStatus.FormErr:
                Interlocked.Increment(ref _stats._formErr);
                return ValueTask.FromResult(Error(query, q, resp, DnsResponseCode.FormErr));
            case DnsQueryStatus.NotImp:
                Interlocked.Increment(ref _stats._notImp);
                return ValueTask.FromResult(Error(query, q, resp, DnsResponseCode.NotImp));
        }
        // Never an open resolver: the source must be in the allowed ranges. REFUSED echoes the question only, so
        // the answer is no bigger than the query (no amplification).
        if (!snapshot.Access.IsAllowed(request.Remote))
        {
            Interlocked.Increment(ref _stats._refused);
            return ValueTask.FromResult(Error(query, q, resp, DnsResponseCode.Refused));
        }
        if (request.Status == DnsQueryStatus.BadVers)
        {
            return ValueTask.FromResult(Error(query, q, resp, DnsResponseCode.BadVers));
        }
        // Room for every byte escaped as \DDD; sized to the name so the stack buffer stays small.
        Span<char> name = stackalloc char[Math.Max(1, q.QNameLength * 4)];
        var nameLength = DnsName.WritePresentation(query.Slice(DnsHeader.Length, q.QNameLength), name);
        var local = AnswerLocally(snapshot, query, q, resp, name[..nameLength]);
        if (local > 0)
        {
            Interlocked.Increment(ref _stats._local);
            return ValueTask.FromResult(local);
        }
        if (_forwarder is null)
        {
            Interlocked.Increment(ref _stats._refused);
            return ValueTask.FromResult(Error(query, q, resp, DnsResponseCode.Refused));
        }
        return _forwarder.ResolveAsync(request.Query, q, name[..nameLength], response, cancellationToken);
    }

    /// <summary>Answers from the snapshot; 0 when the name is not ours.</summary>
    private int AnswerLocally(DnsZoneSnapshot snapshot, ReadOnlySpan<byte> query, in DnsParsedQuery q, Span<byte> resp, ReadOnlySpan<char> name)
    {
        var isIn = q.QClass is DnsQuestion.ClassIn or 255;
        var ra = _forwarder is not null;
        if (snapshot.TryGetName(name, out var node))
        {
            if (!isIn)
            {
                return Error(query, q, resp, DnsResponseCode.Refused);
            }
            var pos = DnsResponseWriter.Begin(query, q, resp, DnsResponseCode.NoError, true, ra);
            var count = 0;
            if (q.QType is DnsRecordType.A or DnsRecordType.ANY && node.A is { } a)
            {
                pos = DnsResponseWriter.Append(resp, pos, a);
                count += node.ACount;
            }
            if (q.QType is DnsRecordType.AAAA or DnsRecordType.ANY && node.Aaaa is { } aaaa)
            {
                pos = DnsResponseWriter.Append(resp, pos, aaaa);
                count += node.AaaaCount;
            }
            if (q.QType is DnsRecordType.PTR or DnsRecordType.ANY && node.Ptr is { } ptr)
            {
                pos = DnsResponseWriter.Append(resp, pos, ptr);
                count += node.PtrCount;
            }
            var authority = 0;
            if (count == 0 && q.QType == DnsRecordType.SOA && snapshot.FindApex(name) is { } apex)
            {
                pos += apex.WriteSoa(resp[pos..], q.QNameLength);
                count = 1;
            }
            else if (count == 0 && node.Authority is { } zone)
            {
                // NODATA (RFC 2308 2.2): NOERROR, no answer, the SOA in the authority section.
                pos += zone.WriteSoa(resp[pos..], q.QNameLength);
                authority = 1;
            }
            DnsResponseWriter.SetCounts(resp, count, authority);
            return Finish(resp, pos, q, DnsResponseCode.NoError);
        }
        var apexZone = snapshot.FindApex(name);
        if ((apexZone ?? snapshot.FindAuthority(name)) is not { } auth)
        {
            return 0;
        }
        if (!isIn)
        {
            return Error(query, q, resp, DnsResponseCode.Refused);
        }
        var isApex = apexZone is not null;
        var rcode = isApex ? DnsResponseCode.NoError : DnsResponseCode.NXDomain;
        var p = DnsResponseWriter.Begin(query, q, resp, rcode, true, ra);
        p += auth.WriteSoa(resp[p..], q.QNameLength);
        if (isApex && q.QType == DnsRecordType.SOA)
        {
            DnsResponseWriter.SetCounts(resp, 1, 0);
        }
        else
        {
            // NXDOMAIN (RFC 2308 2.1) or NODATA at the apex: the SOA goes in the authority section.
            DnsResponseWriter.SetCounts(resp, 0, 1);
            if (!isApex)
            {
                Interlocked.Increment(ref _stats._nxDomain);
            }
        }
        return Finish(resp, p, q, rcode);
    }

    private int Finish(Span<byte> resp, int pos, in DnsParsedQuery q, DnsResponseCode rcode) =>
        q.HasEdns ? DnsResponseWriter.AppendOpt(resp, pos, _udpSize, q.DnssecOk, rcode) : pos;

    private int Error(ReadOnlySpan<byte> query, in DnsParsedQuery q, Span<byte> resp, DnsResponseCode rcode)
    {
        var pos = DnsResponseWriter.Begin(query, q, resp, rcode, false, _forwarder is not null);
        return Finish(resp, pos, q, rcode);
    }
}
