using System.Buffers;
using Appliance.Netlink;
using Appliance.Netlink.Route;

namespace Appliance.WireGuard.Uapi;

/// <summary>Programs a userspace WireGuard implementation (wireguard-go) over its UAPI socket.</summary>
public sealed class UserspaceWireGuardBackend : IWireGuardBackend
{
    private readonly IUapiTransport _transport;
    private readonly IUserspaceLauncher? _launcher;
    private readonly IRouteNetlink? _route;
    private readonly bool _ownsRoute;

    /// <param name="transport">The UAPI socket transport.</param>
    /// <param name="launcher">Starts wireguard-go in <see cref="EnsureInterfaceAsync"/>; null means interfaces are managed elsewhere.</param>
    /// <param name="route">Deletes a TUN link this backend did not start; not owned.</param>
    public UserspaceWireGuardBackend(IUapiTransport transport, IUserspaceLauncher? launcher = null, IRouteNetlink? route = null)
        : this(transport, launcher, route, ownsRoute: false)
    {
    }

    /// <param name="transport">The UAPI socket transport.</param>
    /// <param name="launcher">Starts wireguard-go in <see cref="EnsureInterfaceAsync"/>; null means interfaces are managed elsewhere.</param>
    /// <param name="route">Deletes a TUN link this backend did not start.</param>
    /// <param name="ownsRoute">Dispose <paramref name="route"/> with this backend (the selector hands over the client it opened).</param>
    public UserspaceWireGuardBackend(IUapiTransport transport, IUserspaceLauncher? launcher, IRouteNetlink? route, bool ownsRoute)
    {
        _transport = transport;
        _launcher = launcher;
        _route = route;
        _ownsRoute = ownsRoute;
    }

    public WireGuardBackendKind Kind => WireGuardBackendKind.Userspace;

    public async Task EnsureInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        try
        {
            await ExchangeAsync(interfaceName, GetRequest, "UAPI get", cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (WireGuardDeviceNotFoundException) when (_launcher is not null)
        {
        }
        await _launcher!.StartAsync(interfaceName, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        if (_launcher is not null && await _launcher.StopAsync(interfaceName, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        if (_route is null)
        {
            throw new WireGuardException($"'{interfaceName}' was not started by this backend and no rtnetlink client was given to delete it");
        }
        try
        {
            // wireguard-go exits when its TUN device goes away.
            _route.DeleteLink(interfaceName);
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
        {
            throw new WireGuardDeviceNotFoundException(interfaceName, e);
        }
    }

    /// <summary>
    /// Reads the device. The reply buffer and the last read's peers are kept for the next read (the agent reads every
    /// second): an unchanged device comes back as the same object, with no reply text or per-peer objects made.
    /// </summary>
    public async Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        // One read at a time takes the kept state; a read that overlaps another makes its own (and drops it after).
        var read = Interlocked.Exchange(ref _kept, null) ?? new KeptRead();
        read.Reply.ResetWrittenCount();
        try
        {
            try
            {
                await _transport.ExchangeIntoAsync(interfaceName, GetRequest, read.Reply, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Translate(e, interfaceName, "UAPI get", cancellationToken) is { } translated)
            {
                throw translated;
            }
            return UapiParser.ParseDevice(interfaceName, read.Reply.WrittenSpan, read.Peers);
        }
        finally
        {
            // A buffer grown by a very large device (20,000 peers: ~7 MB) is not kept for the process's life.
            if (read.Reply.Capacity <= MaxKeptReplyBytes)
            {
                _kept = read;
            }
        }
    }

    /// <summary>The largest reply buffer kept between reads (a device of ~2,500 peers).</summary>
    public const int MaxKeptReplyBytes = 1024 * 1024;

    private static readonly ReadOnlyMemory<byte> GetRequest = UapiEncoder.GetRequest.ToArray();

    private KeptRead? _kept;

    private sealed class KeptRead
    {
        public ArrayBufferWriter<byte> Reply { get; } = new(16 * 1024);

        public UapiPeerCache Peers { get; } = new();
    }

    public async Task ApplyAsync(string interfaceName, WgDevicePlan plan, CancellationToken cancellationToken = default)
    {
        WgPlanValidator.Validate(plan);
        if (plan.IsEmpty)
        {
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(UapiEncoder.MaxSetDeviceSize(plan));
        try
        {
            int n = UapiEncoder.SetDevice(buffer, plan);
            var reply = await ExchangeAsync(interfaceName, buffer.AsMemory(0, n), "UAPI set", cancellationToken).ConfigureAwait(false);
            var errno = UapiParser.ParseErrno(reply);
            if (errno != Errno.None)
            {
                throw new WireGuardOperationException(interfaceName, "UAPI set", errno);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// One UAPI exchange with transport failures (socket reset, short read, the transport's own timeout) translated
    /// into <see cref="WireGuardTransportException"/>; the caller's cancellation stays an OperationCanceledException.
    /// </summary>
    private async Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _transport.ExchangeAsync(interfaceName, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, interfaceName, operation, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The exception a transport failure becomes (null: let it through unchanged).</summary>
    private static Exception? Translate(Exception e, string interfaceName, string operation, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when !cancellationToken.IsCancellationRequested =>
            new WireGuardTransportException(interfaceName, operation, new TimeoutException("no UAPI reply in time", e)),
        OperationCanceledException or WireGuardException => null,
        _ => WgErrors.TryTranslateTransport(e, interfaceName, operation, out var translated) ? translated : null,
    };

    public void Dispose()
    {
        _launcher?.Dispose();
        if (_ownsRoute)
        {
            _route?.Dispose();
        }
    }
}
