using Appliance.Gateway.Fw4;
using Appliance.Gateway.Iptables;
using Appliance.Gateway.Nftables;
using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>Backend detection over a fake host (files and programs).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class DetectorTests
{
    public static TheoryData<string, string[], string[], string?, string> Rows => new()
    {
        { "OpenWRT with fw4", ["/etc/openwrt_release"], ["fw4", "nft"], null, "fw4" },
        { "OpenWRT without fw4 (fw3, iptables)", ["/etc/openwrt_release"], ["iptables-restore"], null, "iptables" },
        { "Debian with nft", [], ["nft", "iptables-restore"], null, "nftables" },
        { "iptables only", [], ["iptables-restore"], null, "iptables" },
        { "override wins", ["/etc/openwrt_release"], ["fw4", "nft"], "iptables-legacy", "iptables-legacy" },
        { "auto is detection", [], ["nft"], "auto", "nftables" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Detects(string row, string[] files, string[] programs, string? overrideName, string expected) =>
        Assert.True(FirewallBackendDetector.Detect(new FakeFirewallHost(files, programs), overrideName) == expected, row);

    [Fact]
    public void Nothing_installed_is_a_clear_error() =>
        Assert.Contains("neither nft nor iptables-restore", Assert.Throws<InvalidOperationException>(() => FirewallBackendDetector.Detect(new FakeFirewallHost([], []))).Message, StringComparison.Ordinal);

    [Fact]
    public void Unknown_override_is_rejected() =>
        Assert.Contains("unknown firewall backend 'pf'", Assert.Throws<ArgumentException>(() => FirewallBackendDetector.Detect(new FakeFirewallHost([], ["nft"]), "pf")).Message, StringComparison.Ordinal);

    [Fact]
    public void Create_builds_each_named_backend()
    {
        var runner = new FakeCommandRunner();
        Assert.IsType<Fw4FirewallBackend>(FirewallBackendDetector.Create("fw4", runner));
        Assert.IsType<NftablesFirewallBackend>(FirewallBackendDetector.Create("nftables", runner));
        foreach (var name in new[] { "iptables", "iptables-legacy", "iptables-nft" })
        {
            Assert.Equal(name, Assert.IsType<IptablesFirewallBackend>(FirewallBackendDetector.Create(name, runner)).Name);
        }
    }
}
