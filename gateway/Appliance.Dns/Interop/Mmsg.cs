using System.Runtime.InteropServices;

namespace Appliance.Dns.Interop;

/// <summary>
/// recvmmsg(2) and sendmmsg(2): many datagrams per system call (structs <see cref="mmsghdr"/>, <see cref="msghdr"/>,
/// <see cref="iovec"/>). Native names, no policy here.
/// </summary>
internal static unsafe partial class Mmsg
{
    public const int MSG_TRUNC = 0x20;
    public const int MSG_WAITFORONE = 0x10000;

    /// <summary>Room for any socket address (sizeof(struct sockaddr_storage)).</summary>
    public const int SockaddrStorageSize = 128;

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int recvmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sendmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags);
}
