using System.Net;
using System.Text;
using Appliance.Netlink;
using Appliance.Netlink.Route;

namespace Appliance.Agent;

/// <summary>
/// Addresses other nodes may reach this device at: IPv4 and global IPv6 (not fe80::/10) addresses of interfaces that
/// are up (operational state up or unknown), not loopback and not our own tunnel; at most <see cref="MaxAddresses"/>,
/// none twice, IPv4 first (the kernel's dump order). Read over rtnetlink, an RTM_GETLINK and an RTM_GETADDR dump on one
/// kept socket. The report loop asks every 5 s: a read that finds the same addresses as the last returns the same list
/// and allocates nothing (issue #15; .NET's <c>NetworkInterface.GetAllNetworkInterfaces</c> took ~83 KB a call).
/// </summary>
public sealed class LocalAddresses : IDisposable
{
    /// <summary>How many addresses a node reports at most.</summary>
    public const int MaxAddresses = 8;

    /// <summary>Interfaces looked at per read at most (a router with thousands of VLANs still gets an answer).</summary>
    public const int MaxInterfaces = 1024;

    // One entry: the family byte, then the address in 16 bytes (IPv4 in the first 4).
    private const int EntrySize = 17;

    private readonly Func<INetlinkSocket> _open;
    private readonly byte[] _request = new byte[64];
    private readonly int[] _eligible = new int[MaxInterfaces];
    private readonly NetlinkMessageHandler _onLink;
    private readonly NetlinkMessageHandler _onAddress;
    private readonly Action _restartLinks;
    private readonly Action _restartAddresses;
    private readonly Lock _lock = new();
    private NetlinkClient? _client;
    private int _eligibleCount;
    private byte[] _scan = new byte[MaxAddresses * EntrySize];
    private int _scanCount;
    private byte[] _last = new byte[MaxAddresses * EntrySize];
    private int _lastCount = -1;
    private IReadOnlyList<string> _lastList = [];
    private string? _ownText;
    private byte[] _ownName = [];

    /// <summary>Reads over the socket <paramref name="open"/> gives at the first read (default: a NETLINK_ROUTE socket in this namespace).</summary>
    public LocalAddresses(Func<INetlinkSocket>? open = null)
    {
        _open = open ?? (() => NetlinkSocket.Open(NetlinkProtocol.Route));
        _onLink = OnLink;
        _onAddress = OnAddress;
        _restartLinks = () => _eligibleCount = 0;
        _restartAddresses = () => _scanCount = 0;
    }

    /// <summary>One read on a socket opened for it (e.g. at join).</summary>
    public static IReadOnlyList<string> DiscoverOnce(string ownInterface)
    {
        using var addresses = new LocalAddresses();
        return addresses.Discover(ownInterface);
    }

    /// <summary>The addresses now, without those of <paramref name="ownInterface"/>; the same list object while they do not change.</summary>
    public IReadOnlyList<string> Discover(string ownInterface)
    {
        lock (_lock)
        {
            if (!string.Equals(ownInterface, _ownText, StringComparison.Ordinal))
            {
                _ownName = Encoding.UTF8.GetBytes(ownInterface);
                _ownText = ownInterface;
                _lastCount = -1;
            }
            _client ??= new NetlinkClient(_open());
            _eligibleCount = 0;
            int n = RtNetlinkCodec.GetLink(_request, null);
            _client.Dump(_request.AsSpan(0, n), "RTM_GETLINK dump", _onLink, _restartLinks);
            _scanCount = 0;
            n = RtNetlinkCodec.DumpAddresses(_request);
            _client.Dump(_request.AsSpan(0, n), "RTM_GETADDR dump", _onAddress, _restartAddresses);
            if (_scanCount == _lastCount && _scan.AsSpan(0, _scanCount * EntrySize).SequenceEqual(_last.AsSpan(0, _lastCount * EntrySize)))
            {
                return _lastList;
            }
            var list = new string[_scanCount];
            for (var i = 0; i < _scanCount; i++)
            {
                var entry = _scan.AsSpan(i * EntrySize, EntrySize);
                list[i] = new IPAddress(entry.Slice(1, entry[0] == RtNetlinkConstants.AF_INET ? 4 : 16)).ToString();
            }
            (_scan, _last) = (_last, _scan);
            _lastCount = _scanCount;
            _lastList = list;
            return list;
        }
    }

    private void OnLink(in NetlinkMessage message)
    {
        var link = RtNetlinkCodec.ReadLink(message);
        // As NetworkInterface's OperationalStatus Up or Unknown: dummy, WireGuard and tun devices that are up say unknown.
        bool up = link.OperState is RtNetlinkConstants.IF_OPER_UP or RtNetlinkConstants.IF_OPER_UNKNOWN && (link.Flags & RtNetlinkConstants.IFF_UP) != 0;
        if (!up || link.IsLoopback || link.Name.SequenceEqual(_ownName) || _eligibleCount == MaxInterfaces)
        {
            return;
        }
        _eligible[_eligibleCount++] = link.Index;
    }

    private void OnAddress(in NetlinkMessage message)
    {
        if (_scanCount == MaxAddresses || !RtNetlinkCodec.TryReadInetAddress(message, out var address))
        {
            return;
        }
        // A duplicate address (DAD failed) is not one the node can be reached at.
        if (address.IsIPv6LinkLocal || (address.Flags & RtNetlinkConstants.IFA_F_DADFAILED) != 0
            || !_eligible.AsSpan(0, _eligibleCount).Contains(address.InterfaceIndex))
        {
            return;
        }
        Span<byte> entry = stackalloc byte[EntrySize];
        entry.Clear();
        entry[0] = address.Family;
        address.Address.CopyTo(entry[1..]);
        for (var i = 0; i < _scanCount; i++)
        {
            if (_scan.AsSpan(i * EntrySize, EntrySize).SequenceEqual(entry))
            {
                return;
            }
        }
        entry.CopyTo(_scan.AsSpan(_scanCount++ * EntrySize));
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _client?.Dispose();
            _client = null;
        }
    }
}
