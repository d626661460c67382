using System.Net;
using Appliance.Dns.Forwarding;
using Appliance.Dns.Zone;

namespace Appliance.Dns.Server;

/// <summary>
/// The embedded DNS server of a gateway: UDP and TCP listeners on the given addresses, authoritative for the mesh
/// zones it is given (<see cref="UpdateZone"/>), serving hosts-file names (<see cref="SetHosts"/>), forwarding the
/// rest with a cache. Zone changes build a new immutable snapshot that replaces the old one atomically.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private readonly DnsServerOptions _options;
    private readonly Lock _updateLock = new();
    private readonly Dictionary<string, DnsMeshZone> _zones = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<DnsUdpListener> _udp = [];
    private readonly List<DnsTcpListener> _tcp = [];
    private readonly CancellationTokenSource _stop = new();
    private DnsHostsSource _hosts = DnsHostsSource.Empty;
    private DnsZoneSnapshot _snapshot;

    /// <param name="options">Listen addresses, allowed ranges, upstreams; read once here.</param>
    /// <param name="time">Clock for the cache (tests pass a fake one); the system clock by default.</param>
    /// <param name="upstreamTransport">How upstreams are asked; UDP with TCP retry by default.</param>
    public DnsServer(DnsServerOptions options, TimeProvider? time = null, IDnsUpstreamTransport? upstreamTransport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _snapshot = DnsZoneSnapshot.Build([], DnsHostsSource.Empty, [.. options.AllowedRanges]);
        Forwarder = options.Upstreams.Count > 0
            ? new DnsForwarder(options, upstreamTransport ?? new DnsUpstreamClient(), time ?? TimeProvider.System, Statistics)
            : null;
        Handler = new DnsResponder(() => Volatile.Read(ref _snapshot), Forwarder, Statistics, options.MaxUdpPayload);
    }

    public DnsServerStatistics Statistics { get; } = new();

    /// <summary>The request handler (usable without sockets, e.g. in tests).</summary>
    public IDnsRequestHandler Handler { get; }

    internal DnsForwarder? Forwarder { get; }

    /// <summary>The addresses actually bound (port 0 in the options resolved), UDP and TCP share each port.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => [.. _udp.Select(u => u.LocalEndpoint)];

    /// <summary>Names currently served locally (zone names, reverse names, hosts-file names).</summary>
    public int NameCount => Volatile.Read(ref _snapshot).NameCount;

    /// <summary>Binds every listen address (UDP and TCP on the same port) and starts serving.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Listen.Count == 0)
        {
            throw new InvalidOperationException("DnsServerOptions.Listen is empty: give at least one address to listen on");
        }
        if (_options.UdpBatchSize is < 1 or > 1024)
        {
            throw new InvalidOperationException($"DnsServerOptions.UdpBatchSize is {_options.UdpBatchSize}: give 1 to 1024 datagrams per receive");
        }
        try
        {
            foreach (var ep in _options.Listen)
            {
                BindPair(ep);
            }
        }
        catch
        {
            StopListeners();
            throw;
        }
        foreach (var u in _udp)
        {
            u.Start(_stop.Token);
        }
        foreach (var t in _tcp)
        {
            t.Start(_stop.Token);
        }
        return Task.CompletedTask;
    }

    /// <summary>Adds or replaces the zone of <see cref="DnsMeshZone.Origin"/>; takes effect for the next query.</summary>
    /// <exception cref="ArgumentException">An invalid name; nothing changes then.</exception>
    public void UpdateZone(DnsMeshZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        lock (_updateLock)
        {
            var next = new Dictionary<string, DnsMeshZone>(_zones, StringComparer.OrdinalIgnoreCase) { [zone.Origin] = zone };
            Swap(next, _hosts);
        }
    }

    /// <summary>Replaces all mesh zones at once (e.g. after a full mesh snapshot).</summary>
    public void SetZones(IEnumerable<DnsMeshZone> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        lock (_updateLock)
        {
            Swap(zones.ToDictionary(z => z.Origin, StringComparer.OrdinalIgnoreCase), _hosts);
        }
    }

    public bool RemoveZone(string origin)
    {
        lock (_updateLock)
        {
            var next = new Dictionary<string, DnsMeshZone>(_zones, StringComparer.OrdinalIgnoreCase);
            if (!next.Remove(DnsNameText.Normalize(origin)))
            {
                return false;
            }
            Swap(next, _hosts);
            return true;
        }
    }

    /// <summary>Replaces the hosts-file names (CoreDNS <c>hosts</c> plugin semantics).</summary>
    public void SetHosts(DnsHostsSource hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        lock (_updateLock)
        {
            Swap(new Dictionary<string, DnsMeshZone>(_zones, StringComparer.OrdinalIgnoreCase), hosts);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        StopListeners();
        await Task.WhenAll(_udp.Select(u => u.Completion).Concat(_tcp.Select(t => t.Completion))).ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Swap(Dictionary<string, DnsMeshZone> zones, DnsHostsSource hosts)
    {
        // Build first (may throw on a bad name), then publish: queries see the old or the new snapshot, never a mix.
        var snapshot = DnsZoneSnapshot.Build([.. zones.Values], hosts, [.. _options.AllowedRanges]);
        _zones.Clear();
        foreach (var (k, v) in zones)
        {
            _zones[k] = v;
        }
        _hosts = hosts;
        Volatile.Write(ref _snapshot, snapshot);
        if (_options.CompactAfterUpdateNames > 0 && snapshot.NameCount >= _options.CompactAfterUpdateNames)
        {
            // A rare bulk rebuild: give its temporary memory back now instead of keeping the heap grown.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    private void BindPair(IPEndPoint ep)
    {
        // With port 0, take the UDP port the kernel picked for TCP too; retry if it is taken for TCP.
        for (var attempt = 0; ; attempt++)
        {
            var udp = new DnsUdpListener(ep, Handler, Statistics, _options);
            try
            {
                var tcp = new DnsTcpListener(new IPEndPoint(ep.Address, udp.LocalEndpoint.Port), Handler, Statistics, _options);
                _udp.Add(udp);
                _tcp.Add(tcp);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (ep.Port == 0 && attempt < 20)
            {
                udp.Stop();
            }
        }
    }

    private void StopListeners()
    {
        foreach (var u in _udp)
        {
            u.Stop();
        }
        foreach (var t in _tcp)
        {
            t.Stop();
        }
    }
}
