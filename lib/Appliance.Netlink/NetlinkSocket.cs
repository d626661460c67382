using System.Runtime.InteropServices;
using Appliance.Netlink.Interop;

namespace Appliance.Netlink;

/// <summary>A real AF_NETLINK socket, optionally created inside another network namespace.</summary>
public sealed class NetlinkSocket : INetlinkSocket
{
    private readonly SafeNetlinkHandle _handle;

    private NetlinkSocket(int fd)
    {
        _handle = new SafeNetlinkHandle(fd);
    }

    /// <summary>
    /// Opens a netlink socket. With <paramref name="networkNamespacePath"/> (e.g. <c>/run/netns/x</c> or
    /// <c>/proc/PID/ns/net</c>) the socket is created on a short-lived thread that first joins that namespace;
    /// a netlink socket stays bound to the namespace it was created in, so the caller's thread is untouched.
    /// </summary>
    public static NetlinkSocket Open(NetlinkProtocol protocol, string? networkNamespacePath = null, TimeSpan? receiveTimeout = null)
    {
        int fd;
        if (networkNamespacePath is null)
        {
            fd = CreateFd(protocol);
        }
        else
        {
            fd = -1;
            Exception? error = null;
            var t = new Thread(() =>
            {
                try
                {
                    int ns = Libc.open(networkNamespacePath, Libc.O_RDONLY | Libc.O_CLOEXEC);
                    if (ns < 0)
                    {
                        throw new NetlinkException((Errno)Marshal.GetLastPInvokeError(), "open " + networkNamespacePath);
                    }
                    try
                    {
                        if (Libc.setns(ns, Libc.CLONE_NEWNET) < 0)
                        {
                            throw new NetlinkException((Errno)Marshal.GetLastPInvokeError(), "setns " + networkNamespacePath);
                        }
                    }
                    finally
                    {
                        _ = Libc.close(ns);
                    }
                    fd = CreateFd(protocol);
                }
                catch (Exception e)
                {
                    error = e;
                }
            });
            t.Start();
            t.Join();
            if (error is not null)
            {
                throw error;
            }
        }
        var s = new NetlinkSocket(fd);
        try
        {
            s.Configure(receiveTimeout ?? TimeSpan.FromSeconds(10));
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    }

    private static int CreateFd(NetlinkProtocol protocol)
    {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, (int)protocol);
        if (fd < 0)
        {
            throw new NetlinkException((Errno)Marshal.GetLastPInvokeError(), "socket(AF_NETLINK)");
        }
        if (LibcSpan.bind_netlink(fd) < 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            _ = Libc.close(fd);
            throw new NetlinkException(errno, "bind(AF_NETLINK)");
        }
        return fd;
    }

    private void Configure(TimeSpan receiveTimeout)
    {
        int fd = _handle.Fd;
        // Ask for error strings (extended ACK) and no echo of the request inside error messages.
        _ = LibcSpan.setsockopt_int(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, 1);
        _ = LibcSpan.setsockopt_int(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, 1);
        _ = LibcSpan.setsockopt_int(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, 1 << 20);
        _ = LibcSpan.setsockopt_int(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, 1 << 20);
        if (LibcSpan.setsockopt_timeval(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, receiveTimeout) < 0)
        {
            throw new NetlinkException((Errno)Marshal.GetLastPInvokeError(), "setsockopt(SO_RCVTIMEO)");
        }
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        bool added = false;
        try
        {
            int fd = AddRef(ref added);
            SendCore(fd, datagram);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public int Receive(Span<byte> buffer)
    {
        bool added = false;
        try
        {
            int fd = AddRef(ref added);
            return ReceiveCore(fd, buffer);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>Keeps the fd from being closed (and its number reused) while a call is using it.</summary>
    private int AddRef(ref bool added)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        _handle.DangerousAddRef(ref added);
        return _handle.Fd;
    }

    private static void SendCore(int fd, ReadOnlySpan<byte> datagram)
    {
        while (true)
        {
            nint n = LibcSpan.send(fd, datagram, 0);
            if (n >= 0)
            {
                return;
            }
            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NetlinkException(errno, "send(netlink)");
            }
        }
    }

    private static int ReceiveCore(int fd, Span<byte> buffer)
    {
        while (true)
        {
            nint n = LibcSpan.recv(fd, buffer, 0);
            if (n >= 0)
            {
                return (int)n;
            }
            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno == Errno.EAGAIN)
            {
                throw new TimeoutException("no netlink reply within the receive timeout");
            }
            if (errno != Errno.EINTR)
            {
                throw new NetlinkException(errno, "recv(netlink)");
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
