using Appliance.Server.Configuration;
using Appliance.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Tests;

/// <summary>The server's options are parsed once from configuration; a bad value fails the start naming its key.</summary>
public sealed class ServerOptionsTests
{
    /// <summary>Parses the settings; a later one overrides an earlier one with the same key.</summary>
    private static ServerOptions Parse(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }
        return ServerOptions.Parse(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Values_given_are_taken()
    {
        var o = Parse(("DataDir", "/tmp/appliance-x"), ("urls", "https://127.0.0.1:9443; http://127.0.0.1:9080"),
            ("PublicUrl", "https://appliance.test:9443/"), ("AddressHoldSeconds", "60"), ("OfflineAfterSeconds", "0"), ("Dns:Suffix", "mesh.internal."));
        Assert.Equal("/tmp/appliance-x", o.DataDir);
        Assert.Equal(["https://127.0.0.1:9443", "http://127.0.0.1:9080"], o.Urls);
        Assert.Equal("https://appliance.test:9443", o.PublicUrl);
        Assert.Equal(TimeSpan.FromSeconds(60), o.AddressHold);
        Assert.Equal(TimeSpan.Zero, o.OfflineAfter);
        Assert.Equal("mesh.internal", o.DnsSuffix);
        Assert.True(o.UsesTls);
        Assert.True(o.PinsCertificate);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Defaults_fill_what_is_not_given()
    {
        var o = Parse(("PublicUrl", "http://appliance.test:8080"));
        Assert.Equal(Path.GetFullPath(ServerOptions.DefaultDataDir), o.DataDir);
        Assert.Equal([ServerOptions.DefaultUrls], o.Urls);
        Assert.Equal(TimeSpan.FromHours(1), o.AddressHold);
        Assert.Equal(TimeSpan.FromMinutes(2), o.OfflineAfter);
        Assert.Null(o.DnsSuffix);
        Assert.True(o.UsesTls); // the default listen URL is https
        Assert.False(o.PinsCertificate); // but devices reach it by plain http: no pin in join tokens
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Plain_http_everywhere_needs_no_certificates()
    {
        var o = Parse(("urls", "http://127.0.0.1:8080"), ("PublicUrl", "http://appliance.test:8080"));
        Assert.False(o.UsesTls);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("AddressHoldSeconds", "1h", "AddressHoldSeconds must be a whole number of seconds (0 or more), not '1h'")]
    [InlineData("AddressHoldSeconds", "-5", "AddressHoldSeconds must be a whole number of seconds (0 or more), not '-5'")]
    [InlineData("OfflineAfterSeconds", "2.5", "OfflineAfterSeconds must be a whole number of seconds (0 or more), not '2.5'")]
    [InlineData("PublicUrl", "ftp://appliance.test", "PublicUrl 'ftp://appliance.test' is not an http(s) URL")]
    [InlineData("PublicUrl", "appliance.test:8443", "PublicUrl 'appliance.test:8443' is not an http(s) URL")]
    [InlineData("Dns:Suffix", "Mesh.Internal", "Dns:Suffix must be a domain name of lower-case DNS labels joined by dots (for example mesh.internal), not 'Mesh.Internal'")]
    public void Bad_values_fail_naming_the_key(string key, string value, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse(("PublicUrl", "https://appliance.test"), (key, value)));
        Assert.Equal(message, e.Message);
    }
}
