using System.Buffers.Binary;
using System.Net;
using Appliance.Netlink;
using Appliance.Netlink.Route;
using Appliance.TestSupport;
using Xunit.Abstractions;
using static Appliance.Netlink.Route.RtNetlinkConstants;

namespace Appliance.Agent.Tests;

/// <summary>
/// The addresses a node reports (<see cref="LocalAddresses"/>), read over rtnetlink: a dump captured from the kernel
/// replayed (Data/rtnetlink-veth-dump.txt says how it was made), synthetic dumps for changes and bounds, and the real
/// kernel in a throwaway namespace. The report loop reads them every 5 s: an unchanged read allocates nothing.
/// </summary>
public sealed class LocalAddressesTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, byte[][]> Capture =
        ReplayNetlinkSocket.ReadCapture(RepoPaths.Combine("tests", "Appliance.Agent.Tests", "Data", "rtnetlink-veth-dump.txt"));

    private static ReplayNetlinkSocket Captured()
    {
        var socket = new ReplayNetlinkSocket();
        socket.Answer(RTM_GETLINK, Capture["link"]);
        socket.Answer(RTM_GETADDR, Capture["addr"]);
        return socket;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_captured_dump_gives_IPv4_then_global_IPv6_of_up_interfaces_but_loopback_and_our_own_once_each()
    {
        using var addresses = new LocalAddresses(Captured);
        // lo (loopback), wg0 (ours), eth1 (down) and every fe80:: are left out; eth2's 192.0.2.10/32 repeats eth0's.
        Assert.Equal(["192.0.2.10", "203.0.113.5", "2001:db8::10"], addresses.Discover("wg0"));
        // Another own interface: wg0's address is in, eth0's are out (192.0.2.10 still, from eth2).
        Assert.Equal(["10.88.0.1", "203.0.113.5", "192.0.2.10"], addresses.Discover("eth0"));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_unchanged_read_returns_the_same_list_and_allocates_nothing()
    {
        using var addresses = new LocalAddresses(Captured);
        AssertUnchangedReadsAllocateNothing(addresses, "unchanged read of the captured dump (9 links, 14 addresses)");
    }

    // The first read makes the list and the second warms the path; twenty more must return that same list, allocating nothing.
    private void AssertUnchangedReadsAllocateNothing(LocalAddresses addresses, string what)
    {
        var first = addresses.Discover("wg0");
        addresses.Discover("wg0");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            Assert.Same(first, addresses.Discover("wg0"));
        }
        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        output.WriteLine($"{what}: {perRead} bytes");
        Assert.Equal(0, perRead);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_changed_address_list_is_a_new_list()
    {
        var socket = new ReplayNetlinkSocket();
        socket.Answer(RTM_GETLINK, Dump(Link(2, "eth0", up: true)));
        socket.Answer(RTM_GETADDR, Dump(Address(2, "192.0.2.1", 24)));
        using var addresses = new LocalAddresses(() => socket);
        var first = addresses.Discover("wg0");
        Assert.Equal(["192.0.2.1"], first);

        socket.Answer(RTM_GETADDR, Dump(Address(2, "192.0.2.1", 24), Address(2, "2001:db8::1", 64)));
        var second = addresses.Discover("wg0");
        Assert.Equal(["192.0.2.1", "2001:db8::1"], second);
        Assert.Equal(["192.0.2.1"], first); // the list handed out before is not changed under its reader

        // The interface goes down: nothing to report.
        socket.Answer(RTM_GETLINK, Dump(Link(2, "eth0", up: false)));
        Assert.Empty(addresses.Discover("wg0"));
        Assert.Equal(6, socket.Requests);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void At_most_eight_addresses_are_reported_and_a_failed_duplicate_address_is_not_one()
    {
        var socket = new ReplayNetlinkSocket();
        socket.Answer(RTM_GETLINK, Dump(Link(2, "eth0", up: true)));
        var many = Enumerable.Range(1, 20).Select(i => Address(2, $"198.51.100.{i}", 24)).ToArray();
        socket.Answer(RTM_GETADDR, Dump([Address(2, "2001:db8::bad", 64, IFA_F_DADFAILED), .. many]));
        using var addresses = new LocalAddresses(() => socket);
        Assert.Equal(Enumerable.Range(1, LocalAddresses.MaxAddresses).Select(i => $"198.51.100.{i}"), addresses.Discover("wg0"));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_malformed_dump_fails_the_read_naming_it_and_the_next_read_works()
    {
        var socket = new ReplayNetlinkSocket();
        socket.Answer(RTM_GETLINK, Dump(Link(2, "eth0", up: true)));
        var bad = Address(2, "192.0.2.1", 24);
        bad[17] = 40; // ifa_prefixlen 40 on an IPv4 address
        socket.Answer(RTM_GETADDR, Dump(bad));
        using var addresses = new LocalAddresses(() => socket);
        var e = Assert.Throws<NetlinkProtocolException>(() => addresses.Discover("wg0"));
        Assert.Equal("RTM_NEWADDR on #2: prefix length 40 is longer than the address", e.Message);
        socket.Answer(RTM_GETADDR, Dump(Address(2, "192.0.2.1", 24)));
        Assert.Equal(["192.0.2.1"], addresses.Discover("wg0"));
    }

    [Fact]
    [Trait("Category", TestCategories.Netns)]
    public async Task The_kernel_in_a_namespace_gives_the_same_answer_and_an_unchanged_read_allocates_nothing()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireProgram("ip");
        var ns = "aploc" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
        await Ip("netns", "add", ns);
        try
        {
            await Ip("-n", ns, "link", "set", "lo", "up");
            await Ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
            await Ip("-n", ns, "link", "add", "wg0", "type", "veth", "peer", "name", "wg0p");
            await Ip("-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p");
            foreach (var up in new[] { "eth0", "eth0p", "wg0", "wg0p" })
            {
                await Ip("-n", ns, "link", "set", up, "up");
            }
            await Ip("-n", ns, "addr", "add", "192.0.2.10/24", "dev", "eth0");
            await Ip("-n", ns, "addr", "add", "2001:db8::10/64", "dev", "eth0", "nodad");
            await Ip("-n", ns, "addr", "add", "10.88.0.1/22", "dev", "wg0");
            await Ip("-n", ns, "addr", "add", "198.51.100.1/24", "dev", "eth1");

            using var addresses = new LocalAddresses(() => NetlinkSocket.Open(NetlinkProtocol.Route, "/run/netns/" + ns));
            // veth ends come up (operational state up) once both are; fe80:: addresses appear on their own.
            await Wait.UntilAsync(() => addresses.Discover("wg0").SequenceEqual(["192.0.2.10", "2001:db8::10"]),
                "eth0's two addresses, and no others", TimeSpan.FromSeconds(10));
            AssertUnchangedReadsAllocateNothing(addresses, "unchanged read from the kernel");

            await Ip("-n", ns, "link", "set", "eth1", "up");
            await Ip("-n", ns, "link", "set", "eth1p", "up");
            await Wait.UntilAsync(() => addresses.Discover("wg0").SequenceEqual(["192.0.2.10", "198.51.100.1", "2001:db8::10"]),
                "eth1's address once it is up", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["netns", "del", ns]);
        }
    }

    private static async Task Ip(params string[] args) => (await ProcessRunner.RunAsync("ip", args)).EnsureSuccess("ip " + string.Join(' ', args));

    private static byte[] Link(int index, string name, bool up)
    {
        var b = new byte[128];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Multi);
        var ifi = w.Reserve(IfInfoMsgSize);
        BinaryPrimitives.WriteUInt16LittleEndian(ifi[2..], 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteInt32LittleEndian(ifi[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(ifi[8..], up ? IFF_UP : 0);
        w.WriteString(IFLA_IFNAME, name);
        w.WriteU8(IFLA_OPERSTATE, up ? IF_OPER_UP : (byte)2);
        w.EndMessage(m);
        return b[..w.Length];
    }

    private static byte[] Address(int index, string address, int prefix, uint flags = 0x80)
    {
        var ip = IPAddress.Parse(address);
        var b = new byte[128];
        var w = new NetlinkWriter(b);
        int m = w.BeginMessage(RTM_NEWADDR, NetlinkMessageFlags.Multi);
        var ifa = w.Reserve(IfAddrMsgSize);
        ifa[0] = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? AF_INET : AF_INET6;
        ifa[1] = (byte)prefix;
        BinaryPrimitives.WriteUInt32LittleEndian(ifa[4..], (uint)index);
        w.WriteAddress(IFA_ADDRESS, ip);
        w.WriteU32(IFA_FLAGS, flags);
        w.EndMessage(m);
        return b[..w.Length];
    }

    /// <summary>One datagram with the messages and NLMSG_DONE.</summary>
    private static byte[] Dump(params byte[][] messages)
    {
        var done = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(done, 20);
        BinaryPrimitives.WriteUInt16LittleEndian(done.AsSpan(4), NetlinkMessageType.Done);
        BinaryPrimitives.WriteUInt16LittleEndian(done.AsSpan(6), (ushort)NetlinkMessageFlags.Multi);
        return [.. messages.SelectMany(m => m), .. done];
    }
}
