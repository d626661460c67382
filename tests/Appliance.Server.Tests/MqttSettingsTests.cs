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
            ["Mqtt:Mosquitto:PasswordFile"] = _dir.Combine("passwd"),
            ["Mqtt:Mosquitto:AclFile"] = _dir.Combine("acl"),
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
    public void Mosquitto_defaults_fill_url_pid_file_and_user()
    {
        var m = Parse(Mosquitto(("Mqtt:Broker", "Mosquitto"))).Mosquitto!;
        Assert.Equal(new Uri("mqtt://127.0.0.1:1883"), m.Url);
        Assert.Equal((MosquittoSettings.DefaultPidFile, (int?)null, MosquittoSettings.DefaultUser, (string?)null), (m.PidFile, m.Pid, m.User, m.CaFile));
        Assert.Equal(_dir.Combine("passwd"), m.PasswordFile);
    }

    [Fact]
    public void Mosquitto_settings_are_read_as_given()
    {
        using var ca = new TestCertificateAuthority();
        File.WriteAllText(_dir.Combine("ca.pem"), ca.Certificate.ExportCertificatePem());
        var s = Parse(Mosquitto(
            ("Mqtt:Mosquitto:Url", "mqtts://broker.lan"),
            ("Mqtt:Mosquitto:Pid", "4242"),
            ("Mqtt:Mosquitto:CaFile", _dir.Combine("ca.pem")),
            ("Mqtt:Mosquitto:User", "srv-1"),
            ("Mqtt:PublicUrl", "mqtts://mesh.example:8884")));
        Assert.True(s.UsesMosquitto);
        Assert.Equal("mqtts://mesh.example:8884", s.PublicUrl);
        Assert.Equal(new Uri("mqtts://broker.lan:8883"), s.Mosquitto!.Url);
        Assert.Equal((4242, (string?)null, "srv-1"), (s.Mosquitto.Pid, s.Mosquitto.PidFile, s.Mosquitto.User));
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
        { "password file missing", "Mqtt:Mosquitto:PasswordFile", null, "Mqtt:Mosquitto:PasswordFile" },
        { "acl file missing", "Mqtt:Mosquitto:AclFile", "", "Mqtt:Mosquitto:AclFile" },
        { "acl file in a missing directory", "Mqtt:Mosquitto:AclFile", "/nonexistent-appliance-dir/acl", "Mqtt:Mosquitto:AclFile" },
        { "pid not a number", "Mqtt:Mosquitto:Pid", "mosquitto", "Mqtt:Mosquitto:Pid" },
        { "pid 1 (init)", "Mqtt:Mosquitto:Pid", "1", "Mqtt:Mosquitto:Pid" },
        { "pid and pid file both set", "Mqtt:Mosquitto:PidFile", "/run/mosquitto/mosquitto.pid", "Mqtt:Mosquitto:Pid" },
        { "ca file with plain mqtt", "Mqtt:Mosquitto:CaFile", "/etc/ssl/certs/ca-certificates.crt", "Mqtt:Mosquitto:CaFile" },
        { "user with a space", "Mqtt:Mosquitto:User", "app server", "Mqtt:Mosquitto:User" },
        { "user that looks like a node id", "Mqtt:Mosquitto:User", "0123456789abcdef0123456789abcdef", "Mqtt:Mosquitto:User" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void Bad_values_are_refused_naming_the_key(string name, string key, string? value, string named)
    {
        var values = Mosquitto(("Mqtt:Mosquitto:Pid", key == "Mqtt:Mosquitto:PidFile" ? "4242" : null), (key, value));
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
