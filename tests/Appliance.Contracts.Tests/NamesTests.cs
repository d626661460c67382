using Appliance.Contracts;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class NamesTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("home", true)]
    [InlineData("office-2", true)]
    [InlineData("a", true)]
    [InlineData("0lead-digit", true)]
    [InlineData("", false)]
    [InlineData("-lead", false)]
    [InlineData("trail-", false)]
    [InlineData("Upper", false)]
    [InlineData("under_score", false)]
    [InlineData("dot.ted", false)]
    [InlineData("sixty-four-characters-long-label-is-one-too-many-for-dns-xxxxxxx", false)]
    public void Dns_label_rule(string name, bool valid) => Assert.Equal(valid, Names.IsDnsLabel(name));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("Node-A.local", "node-a")]
    [InlineData("raspberrypi", "raspberrypi")]
    [InlineData("My Router (2)", "my-router-2")]
    [InlineData("___", "node")]
    [InlineData(null, "node")]
    public void Hostnames_become_labels(string? hostname, string label)
    {
        Assert.Equal(label, Names.ToDnsLabel(hostname));
        Assert.True(Names.IsDnsLabel(Names.ToDnsLabel(hostname)));
    }
}
