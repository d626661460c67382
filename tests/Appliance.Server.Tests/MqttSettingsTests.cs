using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Tests;

/// <summary>Mqtt:* settings: defaults, the Mosquitto keys, and every bad value stopped with the key named.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MqttSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new("mqtt-settings");

    private Dictionary<string, string?> Mosquitto(params (string Key, string? Value)[] extra)
    {
        var d = new Dictionary<string, string?>
        {
            ["Mqtt:Broker"] = "mosquitto",
            ["Mqtt:Mosquitto:AdminUser"] = "appliance-admin",
            ["Mqtt:Mosquitto:AdminPassword"] = "admin-secret",
        };
        foreach (var (k, v) in extra)
        {
            d[k] = v;
        }
        return d;
    }

    private static MqttSettings Parse(IDictionary<string, string?> values) =>
        MqttSettings.Parse(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Defaults_are_the_embedded_broker()
    {
        var s = Parse(new Dictionary<string, string?>());
        Assert.Equal((true, MeshBrokerKind.Embedded, false, null), (s.Enabled, s.Broker, s.UsesMosquitto, s.PublicUrl));
        Assert.Null(s.Mosquitto);
    }

    [Fact]
    public void Mosquitto_defaults_fill_url_and_user()
    {
        var m = Parse(Mosquitto(("Mqtt:Broker", "Mosquitto"))).Mosquitto!;
        Assert.Equal(new Uri("mqtt://127.0.0.1:1883"), m.Url);
        Assert.Equal((MosquittoSettings.DefaultUser, (string?)null), (m.User, m.CaFile));
        Assert.Equal(("appliance-admin", "admin-secret"), (m.AdminUser, m.AdminPassword));
    }

    [Fact]
    public void Mosquitto_settings_are_read_as_given()
    {
        using var ca = new TestCertificateAuthority();
        File.WriteAllText(_dir.Combine("ca.pem"), ca.Certificate.ExportCertificatePem());
        var s = Parse(Mosquitto(
            ("Mqtt:Mosquitto:Url", "mqtts://broker.lan"),
            ("Mqtt:Mosquitto:CaFile", _dir.Combine("ca.pem")),
            ("Mqtt:Mosquitto:User", "srv-1"),
            ("Mqtt:PublicUrl", "mqtts://mesh.example:8884")));
        Assert.True(s.UsesMosquitto);
        Assert.Equal("mqtts://mesh.example:8884", s.PublicUrl);
        Assert.Equal(new Uri("mqtts://broker.lan:8883"), s.Mosquitto!.Url);
        Assert.Equal("srv-1", s.Mosquitto.User);
        Assert.Single(MqttSettings.LoadCaFile(s.Mosquitto.CaFile!));
    }

    [Fact]
    public void A_disabled_broker_needs_no_mosquitto_keys()
    {
        var s = Parse(new Dictionary<string, string?> { ["Mqtt:Enabled"] = "FALSE", ["Mqtt:Broker"] = "mosquitto" });
        Assert.False(s.Enabled);
        Assert.False(s.UsesMosquitto);
        Assert.Null(s.Mosquitto);
    }

    public static TheoryData<string, string, string?, string> BadRows() => new()
    {
        // name, key, value, expected key in the message
        { "enabled not a boolean", "Mqtt:Enabled", "no", "Mqtt:Enabled" },
        { "unknown broker kind", "Mqtt:Broker", "rabbitmq", "Mqtt:Broker" },
        { "public url not mqtt", "Mqtt:PublicUrl", "https://mesh.example", "Mqtt:PublicUrl" },
        { "public url with a path", "Mqtt:PublicUrl", "mqtt://mesh.example/x", "Mqtt:PublicUrl" },
        { "broker url not mqtt", "Mqtt:Mosquitto:Url", "http://127.0.0.1:1883", "Mqtt:Mosquitto:Url" },
        { "broker url not a url", "Mqtt:Mosquitto:Url", "127.0.0.1:1883", "Mqtt:Mosquitto:Url" },
        { "admin user missing", "Mqtt:Mosquitto:AdminUser", null, "Mqtt:Mosquitto:AdminUser" },
        { "admin password missing", "Mqtt:Mosquitto:AdminPassword", "", "Mqtt:Mosquitto:AdminPassword" },
        { "admin password too long", "Mqtt:Mosquitto:AdminPassword", new string('p', 1025), "Mqtt:Mosquitto:AdminPassword" },
        { "admin user with a colon", "Mqtt:Mosquitto:AdminUser", "admin:x", "Mqtt:Mosquitto:AdminUser" },
        { "server user is the admin", "Mqtt:Mosquitto:User", "appliance-admin", "Mqtt:Mosquitto:User" },
        // The file-based provisioning's keys: a start with them says they are gone instead of ignoring them.
        { "retired password file", "Mqtt:Mosquitto:PasswordFile", "/etc/mosquitto/passwd", "Mqtt:Mosquitto:PasswordFile" },
        { "retired acl file", "Mqtt:Mosquitto:AclFile", "/etc/mosquitto/acl", "Mqtt:Mosquitto:AclFile" },
        { "retired pid file", "Mqtt:Mosquitto:PidFile", "/run/mosquitto/mosquitto.pid", "Mqtt:Mosquitto:PidFile" },
        { "retired pid", "Mqtt:Mosquitto:Pid", "4242", "Mqtt:Mosquitto:Pid" },
        { "ca file with plain mqtt", "Mqtt:Mosquitto:CaFile", "/etc/ssl/certs/ca-certificates.crt", "Mqtt:Mosquitto:CaFile" },
        { "user with a space", "Mqtt:Mosquitto:User", "app server", "Mqtt:Mosquitto:User" },
        { "user that looks like a node id", "Mqtt:Mosquitto:User", "0123456789abcdef0123456789abcdef", "Mqtt:Mosquitto:User" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void Bad_values_are_refused_naming_the_key(string name, string key, string? value, string named)
    {
        var values = Mosquitto((key, value));
        var e = Assert.Throws<InvalidOperationException>(() => Parse(values));
        Assert.True(e.Message.Contains(named, StringComparison.Ordinal), $"{name}: '{e.Message}' does not name {named}");
    }

    [Fact]
    public void A_ca_file_that_is_not_pem_is_refused_naming_the_key()
    {
        File.WriteAllText(_dir.Combine("ca.pem"), "not a certificate");
        var e = Assert.Throws<InvalidOperationException>(() => Parse(Mosquitto(("Mqtt:Mosquitto:Url", "mqtts://127.0.0.1"), ("Mqtt:Mosquitto:CaFile", _dir.Combine("ca.pem")))));
        Assert.Contains("Mqtt:Mosquitto:CaFile", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidOperationException>(() => Parse(Mosquitto(("Mqtt:Mosquitto:Url", "mqtts://127.0.0.1"), ("Mqtt:Mosquitto:CaFile", _dir.Combine("absent.pem")))));
        Assert.Contains("Mqtt:Mosquitto:CaFile", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
