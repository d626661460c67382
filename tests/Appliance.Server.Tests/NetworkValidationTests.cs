using Appliance.Server.Domain;
using Appliance.Server.Services.Validation;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

public sealed class NetworkValidationTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("not CIDR", "10.0.0.0", "CIDR notation")]
    [InlineData("garbage", "ten/24", "not a valid CIDR")]
    [InlineData("host bits", "10.0.0.5/24", "did you mean 10.0.0.0/24")]
    [InlineData("prefix too long for nodes", "10.0.0.0/31", "leaves no room")]
    [InlineData("prefix out of range", "10.0.0.0/33", "prefix length")]
    [InlineData("IPv6 in the v4 field", "fd00::/64", "not an IPv4 range")]
    [InlineData("loopback", "127.0.0.0/8", "not a usable unicast range")]
    [InlineData("multicast", "224.0.0.0/24", "not a usable unicast range")]
    [InlineData("link-local", "169.254.0.0/16", "not a usable unicast range")]
    [InlineData("everything", "0.0.0.0/0", "not a usable unicast range")]
    public void Bad_ipv4_ranges_are_named(string row, string cidr, string message)
    {
        var errors = new ValidationErrors();
        Assert.Null(NetworkValidation.Ipv4(cidr, errors, required: true));
        var e = Assert.Throws<DomainException>(() => errors.ThrowIfAny());
        Assert.True(e.Errors!.ContainsKey("ipv4Cidr"), row);
        Assert.True(e.Errors["ipv4Cidr"][0].Contains(message, StringComparison.Ordinal), $"{row}: {e.Errors["ipv4Cidr"][0]}");
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("fd00::/64", true)]
    [InlineData("2001:db8:1::/48", true)]
    [InlineData("10.0.0.0/24", false)]
    [InlineData("fe80::/64", false)]
    [InlineData("ff02::/64", false)]
    [InlineData("::/0", false)]
    [InlineData("fd00::1/64", false)]
    public void Ipv6_ranges(string cidr, bool ok)
    {
        var errors = new ValidationErrors();
        var result = NetworkValidation.Ipv6(cidr, errors);
        Assert.Equal(ok, result is not null);
        Assert.Equal(!ok, errors.Any);
    }
}
