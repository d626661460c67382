using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Dns.Config;
using Appliance.Dns.Server;
using Appliance.Gateway;
using Appliance.Gateway.Commands;
using Appliance.Gateway.Sysctl;

namespace Appliance.Agent.Gateway;

/// <summary>
/// The gateway roles on this device: forwarding and firewall rules through the gateway library's reconciler, and the
/// embedded DNS server on the mesh address for ext clients. Nothing is touched on a node without roles; the backend
/// chosen is recorded in the state directory before the first rule goes in, so a later `leave` (another process)
/// removes exactly what was added, with the same backend.
/// </summary>
public sealed class GatewayRoles : IGatewayRoles
{
    private readonly string _stateDirectory;
    private readonly string? _backendOverride;
    private readonly ICommandRunner _runner;
    private readonly ISysctl _sysctl;
    private readonly TextWriter _log;
    private GatewayRoleReconciler? _reconciler;
    private DnsServer? _dns;
    // Queries of DNS servers stopped since the agent started (one restarts when its address moves), so the reported
    // count only grows.
    private long _dnsQueriesBefore;
    private bool _dnsEverRan;

    /// <summary>Queries this node's DNS servers received since the agent started; null when none ever ran.</summary>
    public long? DnsQueries => _dnsEverRan ? _dnsQueriesBefore + (Volatile.Read(ref _dns)?.Statistics.Received ?? 0) : null;
    private IPEndPoint? _dnsAt;

    /// <param name="backend">auto (detect), nftables, iptables, iptables-legacy, iptables-nft or fw4.</param>
    /// <param name="runner">Runs nft/iptables/uci (tests pass a fake).</param>
    /// <param name="sysctl">Forwarding switches (tests pass a fake; the real one writes /proc/sys of this namespace).</param>
    public GatewayRoles(string stateDirectory, string? backend, TextWriter log, ICommandRunner? runner = null, ISysctl? sysctl = null)
    {
        _stateDirectory = stateDirectory;
        _backendOverride = backend is null or "auto" ? null : FirewallBackendDetector.Names.Contains(backend) ? backend
            : throw new AgentException($"--firewall must be auto or one of {string.Join(", ", FirewallBackendDetector.Names)}, not '{backend}'", 2);
        _runner = runner ?? new ProcessCommandRunner();
        _sysctl = sysctl ?? new ProcSysctl();
        _log = log;
    }

    /// <summary>The port the DNS server listens on (53; tests may pick another).</summary>
    public int DnsPort { get; init; } = 53;

    private string BackendFile => Path.Combine(_stateDirectory, "firewall-backend");
    private string ForwardingFile => Path.Combine(_stateDirectory, "forwarding.state");

    public async Task ApplyAsync(AgentState state, NodeConfigDto config, DateTimeOffset now, CancellationToken ct)
    {
        var spec = GatewayTranslator.ToFirewallSpec(state.Interface, config, now);
        if (spec is null)
        {
            await RemoveAsync(state, ct);
            return;
        }
        var reconciler = _reconciler ?? Open(recordBackend: true);
        if (await reconciler.ApplyAsync(spec, ct))
        {
            _log.WriteLine(reconciler.Applied is { HasRoles: false }
                ? $"firewall: {reconciler.Firewall.Name} access-policy filter applied ({MeshFilterGuard.Describe(spec.Filter)})"
                : $"gateway: {reconciler.Firewall.GetType().Name} rules applied ({(spec.Ingress is null ? 0 : spec.Ingress.Clients.Count)} ext clients, {spec.Egress?.Ranges.Count ?? 0} egress ranges, policy filter: {MeshFilterGuard.Describe(spec.Filter)})");
        }
        await ReconcileDnsAsync(config, ct);
    }

    public async Task<bool> RepairAsync(CancellationToken ct)
    {
        if (_reconciler is null || !await _reconciler.RepairAsync(ct))
        {
            return false;
        }
        _log.WriteLine($"gateway: {_reconciler.Firewall.Name} rules were gone (a firewall reload or flush by other software); put back");
        return true;
    }

    public async Task RemoveAsync(AgentState state, CancellationToken ct)
    {
        await StopDnsAsync();
        if (_reconciler is null && !File.Exists(BackendFile))
        {
            return; // never a gateway here: no firewall command at all
        }
        var reconciler = _reconciler ?? Open(recordBackend: false);
        if (await reconciler.RemoveAsync(ct))
        {
            _log.WriteLine("gateway: rules removed and forwarding restored");
        }
        File.Delete(BackendFile);
    }

    private GatewayRoleReconciler Open(bool recordBackend)
    {
        var name = File.Exists(BackendFile) ? File.ReadAllText(BackendFile).Trim()
            : _backendOverride ?? FirewallBackendDetector.Detect(new SystemFirewallHost());
        if (recordBackend && !File.Exists(BackendFile))
        {
            AtomicFile.Write(BackendFile, name + "\n", secret: false);
        }
        _reconciler = new GatewayRoleReconciler(FirewallBackendDetector.Create(name, _runner), new ForwardingSysctl(_sysctl, ForwardingFile));
        return _reconciler;
    }

    private async Task ReconcileDnsAsync(NodeConfigDto config, CancellationToken ct)
    {
        var address = GatewayTranslator.DnsAddress(config);
        var at = address is null ? null : new IPEndPoint(address, DnsPort);
        if (!Equals(at, _dnsAt))
        {
            await StopDnsAsync();
        }
        if (at is null)
        {
            return;
        }
        var zone = GatewayTranslator.ToDnsZone(config);
        if (_dns is null)
        {
            var options = new DnsServerOptions { Log = line => _log.WriteLine("dns: " + line) };
            options.Listen.Add(at);
            foreach (var range in zone.MeshRanges.Append(IPNetwork.Parse("127.0.0.0/8")).Append(IPNetwork.Parse("::1/128")))
            {
                options.AllowedRanges.Add(range);
            }
            // Forward everything else to this machine's own resolvers (never to ourselves).
            foreach (var upstream in ResolvConf.ReadNameservers().Where(u => !u.Address.Equals(address)))
            {
                options.Upstreams.Add(upstream);
            }
            var dns = new DnsServer(options);
            await dns.StartAsync(ct);
            (_dns, _dnsAt, _dnsEverRan) = (dns, at, true);
            _log.WriteLine($"dns: serving {zone.Origin} on {at} ({options.Upstreams.Count} upstreams)");
        }
        _dns.UpdateZone(zone);
    }

    private async Task StopDnsAsync()
    {
        if (_dns is not null)
        {
            _dnsQueriesBefore += _dns.Statistics.Received;
            await _dns.DisposeAsync();
            _log.WriteLine($"dns: stopped on {_dnsAt}");
        }
        (_dns, _dnsAt) = (null, null);
    }

    public async ValueTask DisposeAsync() => await StopDnsAsync();
}
