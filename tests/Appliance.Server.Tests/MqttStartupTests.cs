using Appliance.Server.Hosting;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>The server picks its mesh bus from Mqtt:Broker and refuses to start on a bad Mqtt value, naming the key.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MqttStartupTests
{
    [Fact]
    public void The_default_is_the_embedded_broker()
    {
        using var server = new ServerFactory();
        Assert.IsType<EmbeddedMeshBus>(server.Services.GetRequiredService<IMeshBus>());
        Assert.IsType<EmbeddedBrokerAccounts>(server.Services.GetRequiredService<IBrokerAccounts>());
    }

    [Theory]
    [InlineData("Mqtt:Broker", "rabbitmq", "Mqtt:Broker")]
    [InlineData("Mqtt:Enabled", "maybe", "Mqtt:Enabled")]
    [InlineData("Mqtt:Mosquitto:AdminUser", "", "Mqtt:Mosquitto:AdminUser")]
    [InlineData("Mqtt:Mosquitto:PasswordFile", "/etc/mosquitto/passwd", "Mqtt:Mosquitto:PasswordFile")]
    public async Task A_bad_mqtt_setting_stops_the_server_naming_the_key(string key, string value, string named)
    {
        using var dir = new TempDirectory("mqtt-startup");
        var settings = new Dictionary<string, string?>
        {
            ["DataDir"] = dir.Path,
            ["urls"] = "http://127.0.0.1:0",
            ["Mqtt:Broker"] = "mosquitto",
            ["Mqtt:Mosquitto:AdminUser"] = "appliance-admin",
            ["Mqtt:Mosquitto:AdminPassword"] = "admin-secret",
        };
        settings[key] = value;
        // As Program does: build, then start; the bus is made at start and its settings are checked there.
        await using var app = ServerApp.Build([], settings);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Appliance.Server.Store.SqliteStore.ReleasePool(dir.Combine(Appliance.Server.Hosting.ServerStartup.DatabaseFileName));
    }
}
