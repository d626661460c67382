using System.Net;
using Appliance.Agent.Gateway;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Gateway.Sysctl;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>The agent's gateway roles over a fake command runner and sysctl: what runs, when, and what is left after.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class GatewayRolesTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new("appliance-roles");

    public void Dispose() => _dir.Dispose();

    private static NodeConfigDto Node(GatewayRoleDto? role, params DnsRecordDto[] records) =>
        new("gw", "gw", 7, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420),
            [new PeerDto("p1", "beta", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.2/32"], null, [], 25)],
            role, new MeshDnsDto { Zone = "home", Records = records });

    private static ExtClientPeerDto Client(string name, string address, bool enabled = true, DateTimeOffset? expires = null) =>
        new("ext-" + name, name, X25519.GenerateKeyPair().PublicKey.ToString(), [address], enabled, expires);

    [Fact]
    public void The_firewall_spec_keeps_inactive_clients_to_drop_them_and_remote_ranges_only_with_egress()
    {
        var role = new GatewayRoleDto
        {
            Ingress = new IngressRoleDto { Nat = true, Clients = [Client("on", "10.10.0.50/32"), Client("off", "10.10.0.51/32", enabled: false), Client("old", "10.10.0.52/32", expires: Now)] },
            Egress = new EgressRoleDto { Ranges = ["192.168.1.0/24"], Nat = false },
            MeshRanges = ["10.10.0.0/24"],
            RemoteRanges = ["192.168.2.0/24"],
        };
        var spec = GatewayTranslator.ToFirewallSpec("appliance0", Node(role), Now)!;
        Assert.Equal("appliance0", spec.MeshInterface);
        // The gateway's own mesh address and port: the only things on it the mesh may reach (DNS, WireGuard).
        Assert.Equal(["10.10.0.1"], spec.MeshAddresses);
        Assert.Equal(Node(role).Interface.ListenPort, spec.ListenPort);
        Assert.Equal([("on", true), ("off", false), ("old", false)], spec.Ingress!.Clients.Select(c => (c.Name, c.Allowed)));
        Assert.Equal(["192.168.1.0/24"], spec.Egress!.Ranges);
        Assert.False(spec.Egress.Nat);
        Assert.Equal(["192.168.2.0/24"], spec.RemoteRanges);
        Assert.Empty(GatewayTranslator.ToFirewallSpec("appliance0", Node(role with { Egress = null }), Now)!.RemoteRanges);
        Assert.Null(GatewayTranslator.ToFirewallSpec("appliance0", Node(null), Now));
        Assert.Null(GatewayTranslator.ToFirewallSpec("appliance0", Node(GatewayRoleDto.None), Now));
        Assert.Equal(IPAddress.Parse("10.10.0.1"), GatewayTranslator.DnsAddress(Node(role)));
        Assert.Null(GatewayTranslator.DnsAddress(Node(role with { Ingress = role.Ingress! with { Dns = false } })));
    }

    [Fact]
    public void The_dns_zone_has_nodes_ext_clients_entries_and_cnames_resolved_in_zone()
    {
        var role = new GatewayRoleDto { Ingress = new IngressRoleDto(), MeshRanges = ["10.10.0.0/24"] };
        var zone = GatewayTranslator.ToDnsZone(Node(role,
            new DnsRecordDto("phone", "A", "10.10.0.50"), new DnsRecordDto("printer", "AAAA", "fd10::9"),
            new DnsRecordDto("www", "CNAME", "beta.home"), new DnsRecordDto("elsewhere", "CNAME", "example.org")));
        Assert.Equal("home", zone.Origin);
        var hosts = zone.Hosts.ToDictionary(h => h.Name, h => string.Join(",", h.Addresses));
        Assert.Equal("10.10.0.1", hosts["gw"]);
        Assert.Equal("10.10.0.2", hosts["beta"]);
        Assert.Equal("10.10.0.50", hosts["phone"]);
        Assert.Equal("fd10::9", hosts["printer"]);
        Assert.Equal("10.10.0.2", hosts["www"]);
        Assert.False(hosts.ContainsKey("elsewhere")); // out-of-zone targets are not followed
        Assert.Equal([IPNetwork.Parse("10.10.0.0/24")], zone.MeshRanges);
    }

    [Fact]
    public async Task Roles_touch_nothing_on_a_plain_node_apply_once_and_a_later_process_removes_them_with_the_same_backend()
    {
        var state = JoinCommandTests.SampleState();
        var runner = new FakeCommandRunner();
        var sysctl = new FakeSysctl();
        await using var roles = new GatewayRoles(_dir.Path, "nftables", TextWriter.Null, runner, sysctl);

        await roles.ApplyAsync(state, Node(null), Now, default);
        Assert.Empty(runner.Commands);
        Assert.Empty(sysctl.Writes);

        var egress = new GatewayRoleDto { Egress = new EgressRoleDto { Ranges = ["192.168.1.0/24"] }, MeshRanges = ["10.10.0.0/24"] };
        await roles.ApplyAsync(state, Node(egress), Now, default);
        Assert.Contains(runner.Commands, c => c.Program == "nft" && c.Stdin!.Contains("192.168.1.0/24", StringComparison.Ordinal));
        Assert.Equal("1", sysctl.Values[ForwardingSysctl.Ipv4Key]);
        Assert.Equal("nftables", File.ReadAllText(Path.Combine(_dir.Path, "firewall-backend")).Trim());
        var count = runner.Commands.Count;
        await roles.ApplyAsync(state, Node(egress), Now, default);
        Assert.Equal(count, runner.Commands.Count); // unchanged: no command

        // `leave` runs in another process, without --firewall: the recorded backend is used.
        var leaveRunner = new FakeCommandRunner();
        await using (var leave = new GatewayRoles(_dir.Path, null, TextWriter.Null, leaveRunner, sysctl))
        {
            await leave.RemoveAsync(state, default);
        }
        Assert.Contains(leaveRunner.Commands, c => c.Program == "nft");
        Assert.Equal("0", sysctl.Values[ForwardingSysctl.Ipv4Key]);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "firewall-backend")));

        Assert.Throws<AgentException>(() => new GatewayRoles(_dir.Path, "pf", TextWriter.Null, runner, sysctl));
    }
}
