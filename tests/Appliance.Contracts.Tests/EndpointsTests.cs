using Appliance.Contracts;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class EndpointsTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("192.0.2.1", "192.0.2.1:51820")]
    [InlineData("192.0.2.1:1234", "192.0.2.1:1234")]
    [InlineData("fd00::1", "[fd00::1]:51820")]
    [InlineData("[fd00::1]:9", "[fd00::1]:9")]
    public void Parses_with_default_port(string text, string formatted)
    {
        Assert.True(Endpoints.TryParse(text, 51820, out var ep));
        Assert.Equal(formatted, Endpoints.Format(ep));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("")]
    [InlineData("host.example")]
    [InlineData("192.0.2.1:0")]
    [InlineData("192.0.2.1:99999")]
    [InlineData("[fd00::1")]
    public void Rejects_garbage(string text) => Assert.False(Endpoints.TryParse(text, 51820, out _));
}
