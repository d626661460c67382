using System.Net;
using Appliance.Contracts;
using Appliance.TestSupport;
using Appliance.WireGuard.Genl;

namespace Appliance.WireGuard.Tests;

/// <summary>Golden WG_CMD_* messages (family id 0x15 as an example), each annotated with the <c>wg</c> command it means.</summary>
public sealed class WgGenlGoldenTests
{
    private static readonly WgKey K1 = new(Enumerable.Repeat((byte)0x11, 32).ToArray());
    private static readonly WgKey K2 = new(Enumerable.Repeat((byte)0x22, 32).ToArray());
    private static readonly WgKey K3 = new(Enumerable.Repeat((byte)0x33, 32).ToArray());
    private const string Key11 = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Key22 = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Key33 = "3333333333333333333333333333333333333333333333333333333333333333";

    public static TheoryData<string> Names => [.. Cases.Keys];

    private static readonly Dictionary<string, (WgDevicePlan Plan, string Golden)> Cases = new()
    {
        ["wg setconf wg0 (private-key, listen-port 51820, fwmark 0x42, one peer 10.0.0.2/32 endpoint 192.0.2.1:51820 keepalive 25)"] = (
            new WgDevicePlan
            {
                PrivateKey = K1, ListenPort = 51820, FwMark = 0x42, ReplacePeers = true,
                Peers = [new WgPeerChange(K2) { Endpoint = IPEndPoint.Parse("192.0.2.1:51820"), PersistentKeepalive = 25, ReplaceAllowedIPs = true, AllowedIPs = [IPNetwork.Parse("10.0.0.2/32")] }],
            },
            $"""
            c8000000 1500 0500 00000000 00000000 | nlmsghdr len=200 family=0x15 REQUEST|ACK
            01 01 0000                           | genlmsghdr WG_CMD_SET_DEVICE v1
            0800 0200 77673000                   | WGDEVICE_A_IFNAME "wg0"
            2400 0300 {Key11}                    | WGDEVICE_A_PRIVATE_KEY
            0600 0600 6cca 0000                  | WGDEVICE_A_LISTEN_PORT 51820 (host order)
            0800 0700 42000000                   | WGDEVICE_A_FWMARK 0x42
            0800 0500 01000000                   | WGDEVICE_A_FLAGS REPLACE_PEERS
            7000 0880                            | WGDEVICE_A_PEERS (nested)
            6c00 0080                            |   peer #0 (nested)
            2400 0100 {Key22}                    |     WGPEER_A_PUBLIC_KEY
            0800 0300 02000000                   |     WGPEER_A_FLAGS REPLACE_ALLOWEDIPS
            1400 0400 0200 ca6c c0000201 0000000000000000 | WGPEER_A_ENDPOINT sockaddr_in 192.0.2.1:51820 (port in network order)
            0600 0500 1900 0000                  |     WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL 25
            2000 0980                            |     WGPEER_A_ALLOWEDIPS (nested)
            1c00 0080                            |       allowed ip #0
            0600 0100 0200 0000                  |         WGALLOWEDIP_A_FAMILY AF_INET
            0800 0200 0a000002                   |         WGALLOWEDIP_A_IPADDR 10.0.0.2
            0500 0300 20 000000                  |         WGALLOWEDIP_A_CIDR_MASK 32
            """),
        ["wg set wg0 peer K remove"] = (
            new WgDevicePlan { Peers = [new WgPeerChange(K2) { Remove = true }] },
            $"""
            50000000 1500 0500 00000000 00000000 | nlmsghdr len=80 REQUEST|ACK
            01 01 0000                           | WG_CMD_SET_DEVICE
            0800 0200 77673000                   | WGDEVICE_A_IFNAME "wg0"
            3400 0880                            | WGDEVICE_A_PEERS
            3000 0080                            |   peer #0
            2400 0100 {Key22}                    |     WGPEER_A_PUBLIC_KEY
            0800 0300 01000000                   |     WGPEER_A_FLAGS REMOVE_ME
            """),
        ["wg set wg0 peer K preshared-key P endpoint [2001:db8::1]:51820 allowed-ips +fd00::/64 (update only)"] = (
            new WgDevicePlan { Peers = [new WgPeerChange(K2) { UpdateOnly = true, PresharedKey = K3, Endpoint = IPEndPoint.Parse("[2001:db8::1]:51820"), AllowedIPs = [IPNetwork.Parse("fd00::/64")] }] },
            $"""
            c0000000 1500 0500 00000000 00000000 | nlmsghdr len=192 REQUEST|ACK
            01 01 0000                           | WG_CMD_SET_DEVICE
            0800 0200 77673000                   | WGDEVICE_A_IFNAME "wg0"
            a400 0880                            | WGDEVICE_A_PEERS
            a000 0080                            |   peer #0
            2400 0100 {Key22}                    |     WGPEER_A_PUBLIC_KEY
            0800 0300 04000000                   |     WGPEER_A_FLAGS UPDATE_ONLY
            2400 0200 {Key33}                    |     WGPEER_A_PRESHARED_KEY
            2000 0400 0a00 ca6c 00000000 20010db8000000000000000000000001 00000000 | WGPEER_A_ENDPOINT sockaddr_in6
            2c00 0980                            |     WGPEER_A_ALLOWEDIPS
            2800 0080                            |       allowed ip #0
            0600 0100 0a00 0000                  |         FAMILY AF_INET6
            1400 0200 fd000000000000000000000000000000 | IPADDR fd00::
            0500 0300 40 000000                  |         CIDR_MASK 64
            """),
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Names))]
    public void Encodes_golden_bytes(string command)
    {
        var (plan, golden) = Cases[command];
        var b = new byte[1024];
        var cursor = default(WgGenlCursor);
        int n = WgGenlEncoder.SetDevice(b, 0x15, "wg0", plan, ref cursor);
        Assert.True(cursor.Done);
        Hex.Equal(golden, b.AsSpan(0, n));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Get_device_dump_request()
    {
        // wg show wg0 dump
        var b = new byte[64];
        int n = WgGenlEncoder.GetDevice(b, 0x15, "wg0");
        Hex.Equal("""
            1c000000 1500 0103 00000000 00000000 | nlmsghdr len=28 REQUEST|DUMP
            00 01 0000                           | WG_CMD_GET_DEVICE v1
            0800 0200 77673000                   | WGDEVICE_A_IFNAME "wg0"
            """, b.AsSpan(0, n));
    }
}
