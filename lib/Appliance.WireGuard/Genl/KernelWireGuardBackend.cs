using Appliance.Netlink;
using Appliance.Netlink.Generic;
using Appliance.Netlink.Route;

namespace Appliance.WireGuard.Genl;

/// <summary>Programs the kernel WireGuard module over generic netlink; creates/deletes links over rtnetlink.</summary>
public sealed class KernelWireGuardBackend : IWireGuardBackend
{
    private readonly NetlinkClient _genl;
    private readonly IRouteNetlink _route;
    private readonly bool _ownsRoute;
    private readonly ushort _familyId;
    private readonly byte[] _buffer;
    private readonly Lock _lock = new();

    public KernelWireGuardBackend(INetlinkSocket genlSocket, IRouteNetlink route, ushort familyId, bool ownsSockets = true, int maxMessageSize = WgGenlConstants.DefaultMaxMessageSize)
    {
        _genl = new NetlinkClient(genlSocket, ownsSockets);
        _route = route;
        _ownsRoute = ownsSockets;
        _familyId = familyId;
        _buffer = new byte[maxMessageSize];
    }

    /// <summary>Opens netlink sockets (optionally in another namespace); throws if the wireguard genl family is missing.</summary>
    public static KernelWireGuardBackend Open(string? networkNamespacePath = null)
    {
        var socket = NetlinkSocket.Open(NetlinkProtocol.Generic, networkNamespacePath);
        try
        {
            var probe = new NetlinkClient(socket, ownsSocket: false);
            if (!GenericNetlinkFamily.TryResolve(probe, WgGenlConstants.WG_GENL_NAME, out var id))
            {
                throw new WireGuardException("the kernel has no 'wireguard' generic netlink family (module not loaded)");
            }
            return new KernelWireGuardBackend(socket, RouteNetlinkClient.Open(networkNamespacePath), id);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public WireGuardBackendKind Kind => WireGuardBackendKind.Kernel;

    public Task EnsureInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        // rtnetlink calls share the client with other threads using this backend.
        lock (_lock)
        {
            if (_route.TryGetLink(interfaceName, out var link))
            {
                if (link.Kind != "wireguard")
                {
                    throw new WireGuardOperationException(interfaceName, "create", Errno.EEXIST, $"exists with type '{link.Kind}'");
                }
                return Task.CompletedTask;
            }
            try
            {
                _route.CreateLink(interfaceName, "wireguard");
            }
            catch (Exception e) when (WgErrors.TryTranslateTransport(e, interfaceName, "create", out var translated))
            {
                throw translated;
            }
            return Task.CompletedTask;
        }
    }

    public Task DeleteInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        // rtnetlink calls share the client with other threads using this backend.
        lock (_lock)
        {
            try
            {
                _route.DeleteLink(interfaceName);
            }
            catch (Exception e) when (WgErrors.TryTranslateTransport(e, interfaceName, "delete", out var translated))
            {
                throw translated;
            }
            return Task.CompletedTask;
        }
    }

    public Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            int n = WgGenlEncoder.GetDevice(_buffer, _familyId, interfaceName);
            var parser = new WgGenlParser();
            try
            {
                _genl.Dump(_buffer.AsSpan(0, n), "WG_CMD_GET_DEVICE", (in NetlinkMessage m) => parser.Add(m), () => parser = new WgGenlParser());
            }
            catch (Exception e) when (WgErrors.TryTranslateTransport(e, interfaceName, "get", out var translated))
            {
                throw translated;
            }
            return Task.FromResult(parser.Build());
        }
    }

    public Task ApplyAsync(string interfaceName, WgDevicePlan plan, CancellationToken cancellationToken = default)
    {
        WgPlanValidator.Validate(plan);
        if (plan.IsEmpty)
        {
            return Task.CompletedTask;
        }
        lock (_lock)
        {
            var cursor = default(WgGenlCursor);
            while (!cursor.Done)
            {
                int n = WgGenlEncoder.SetDevice(_buffer, _familyId, interfaceName, plan, ref cursor);
                try
                {
                    _genl.Request(_buffer.AsSpan(0, n), "WG_CMD_SET_DEVICE");
                }
                catch (Exception e) when (WgErrors.TryTranslateTransport(e, interfaceName, "set", out var translated))
                {
                    throw translated;
                }
            }
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _genl.Dispose();
        if (_ownsRoute)
        {
            _route.Dispose();
        }
    }
}
