using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary>The libc calls the netlink layer needs, with their native names. No policy here.</summary>
internal static unsafe partial class Libc
{
    public const int AF_UNSPEC = 0;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_RCVTIMEO = 20;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;
    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int sockfd, sockaddr_nl* addr, int addrlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockname(int sockfd, sockaddr_nl* addr, int* addrlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, int optlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int sockfd, byte* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int sockfd, byte* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string pathname, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);
}
