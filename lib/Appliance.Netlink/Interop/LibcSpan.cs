namespace Appliance.Netlink.Interop;

/// <summary>Span-taking wrappers over <see cref="Libc"/>, so no code outside Interop needs <c>unsafe</c>. Return raw results; errno via Marshal.GetLastPInvokeError.</summary>
internal static unsafe class LibcSpan
{
    public static nint send(int sockfd, ReadOnlySpan<byte> buf, int flags)
    {
        fixed (byte* p = buf)
        {
            return Libc.send(sockfd, p, buf.Length, flags);
        }
    }

    public static nint recv(int sockfd, Span<byte> buf, int flags)
    {
        fixed (byte* p = buf)
        {
            return Libc.recv(sockfd, p, buf.Length, flags);
        }
    }

    /// <summary><c>bind(fd, &amp;(sockaddr_nl){ .nl_family = AF_NETLINK }, sizeof)</c>: the kernel assigns the port id.</summary>
    public static int bind_netlink(int sockfd)
    {
        var addr = new sockaddr_nl { nl_family = Libc.AF_NETLINK };
        return Libc.bind(sockfd, &addr, sizeof(sockaddr_nl));
    }

    public static int setsockopt_int(int sockfd, int level, int optname, int value) =>
        Libc.setsockopt(sockfd, level, optname, &value, sizeof(int));

    public static int setsockopt_timeval(int sockfd, int level, int optname, TimeSpan value)
    {
        var tv = new timeval { tv_sec = (long)value.TotalSeconds, tv_usec = value.Milliseconds * 1000L };
        return Libc.setsockopt(sockfd, level, optname, &tv, sizeof(timeval));
    }
}
