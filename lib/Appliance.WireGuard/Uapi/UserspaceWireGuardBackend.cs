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
            await ExchangeAsync(interfaceName, UapiEncoder.GetRequest.ToArray(), "UAPI get", cancellationToken).ConfigureAwait(false);
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

    public async Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        var reply = await ExchangeAsync(interfaceName, UapiEncoder.GetRequest.ToArray(), "UAPI get", cancellationToken).ConfigureAwait(false);
        return UapiParser.ParseDevice(interfaceName, reply);
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
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WireGuardTransportException(interfaceName, operation, new TimeoutException("no UAPI reply in time", e));
        }
        catch (Exception e) when (e is not WireGuardException && WgErrors.TryTranslateTransport(e, interfaceName, operation, out var translated))
        {
            throw translated;
        }
    }

    public void Dispose()
    {
        _launcher?.Dispose();
        if (_ownsRoute)
        {
            _route?.Dispose();
        }
    }
}
