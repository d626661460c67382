using System.Net;
using Appliance.Server.Domain;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The server's one CIDR parser and overlap check (<see cref="Cidr"/>), as network and egress ranges use them.</summary>
public sealed class CidrTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("IPv4 range", "10.10.0.0/24", "10.10.0.0/24")]
    [InlineData("IPv4 host", "192.0.2.7/32", "192.0.2.7/32")]
    [InlineData("IPv4 default route", "0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("IPv6 range", "fd10::/64", "fd10::/64")]
    [InlineData("IPv6 written long", "fd10:0:0:0::/64", "fd10::/64")]
    [InlineData("IPv6 default route", "::/0", "::/0")]
    [InlineData("IPv6 host", "2001:db8::1/128", "2001:db8::1/128")]
    public void Parses_strict_ranges(string row, string text, string expected)
    {
        Assert.True(Cidr.TryParse(text, out var net, out var why), $"{row}: {why}");
        Assert.Equal(expected, net.ToString());
        Assert.Equal(string.Empty, why);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("no prefix", "10.0.0.0", "'10.0.0.0' is not in CIDR notation (address/prefix, for example 10.10.0.0/24)")]
    [InlineData("empty", "", "'' is not in CIDR notation (address/prefix, for example 10.10.0.0/24)")]
    [InlineData("not an address", "ten/24", "'ten/24' is not a valid CIDR range")]
    [InlineData("prefix not a number", "10.0.0.0/x", "'10.0.0.0/x' is not a valid CIDR range")]
    [InlineData("empty prefix", "10.0.0.0/", "'10.0.0.0/' is not a valid CIDR range")]
    [InlineData("two slashes", "10.0.0.0/8/8", "'10.0.0.0/8/8' is not a valid CIDR range")]
    [InlineData("IPv4 prefix over 32", "10.0.0.0/33", "'10.0.0.0/33' has a prefix length outside 0-32")]
    [InlineData("negative prefix", "10.0.0.0/-1", "'10.0.0.0/-1' has a prefix length outside 0-32")]
    [InlineData("IPv6 prefix over 128", "fd00::/129", "'fd00::/129' has a prefix length outside 0-128")]
    [InlineData("IPv4 host bits", "10.0.0.5/24", "'10.0.0.5/24' has host bits set; did you mean 10.0.0.0/24?")]
    [InlineData("IPv6 host bits", "fd00::1/64", "'fd00::1/64' has host bits set; did you mean fd00::/64?")]
    [InlineData("default route with host bits", "10.0.0.0/0", "'10.0.0.0/0' has host bits set; did you mean 0.0.0.0/0?")]
    public void Refuses_with_the_reason(string row, string text, string why)
    {
        Assert.False(Cidr.TryParse(text, out var net, out var actual), row);
        Assert.Equal(why, actual);
        Assert.Equal(default, net);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("wider contains narrower", "10.0.0.0/16", "10.0.200.0/24", true)]
    [InlineData("same range", "10.0.0.0/24", "10.0.0.0/24", true)]
    [InlineData("host inside range", "192.168.1.0/24", "192.168.1.9/32", true)]
    [InlineData("default route covers everything", "0.0.0.0/0", "198.51.100.0/24", true)]
    [InlineData("IPv6 nested", "fd00::/8", "fd10::/64", true)]
    [InlineData("neighbours", "10.0.0.0/24", "10.0.1.0/24", false)]
    [InlineData("adjacent halves", "10.0.0.0/25", "10.0.0.128/25", false)]
    [InlineData("other family", "0.0.0.0/0", "::/0", false)]
    [InlineData("IPv6 neighbours", "fd00::/64", "fd00:0:0:1::/64", false)]
    public void Overlap_is_symmetric(string row, string a, string b, bool overlap)
    {
        Assert.True(overlap == Cidr.Overlap(IPNetwork.Parse(a), IPNetwork.Parse(b)), row);
        Assert.True(overlap == Cidr.Overlap(IPNetwork.Parse(b), IPNetwork.Parse(a)), row);
    }
}
