using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

/// <summary>The real AF_NETLINK socket's lifetime: the descriptor is closed exactly once and never used after dispose.</summary>
public sealed class NetlinkSocketTests
{
    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void Dispose_closes_the_descriptor_once_and_later_calls_are_ObjectDisposed()
    {
        var before = Sockets();
        var socket = NetlinkSocket.Open(NetlinkProtocol.Route);
        // Other tests run in parallel: only sockets that appeared now and are still there later can be ours.
        var opened = Sockets().Except(before).ToList();
        Assert.NotEmpty(opened);
        socket.Dispose();
        socket.Dispose();
        var closed = opened.Except(Sockets()).ToList();
        Assert.NotEmpty(closed);
        Assert.Throws<ObjectDisposedException>(() => socket.Send(new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => socket.Receive(new byte[16]));
    }

    /// <summary>The <c>socket:[inode]</c> targets of this process's descriptors.</summary>
    private static HashSet<string> Sockets() =>
        [.. new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Select(f =>
            {
                try
                {
                    return f.LinkTarget;
                }
                catch (IOException)
                {
                    return null;
                }
            })
            .OfType<string>()
            .Where(t => t.StartsWith("socket:", StringComparison.Ordinal))];
}
