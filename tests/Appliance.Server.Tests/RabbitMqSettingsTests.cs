using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Tests;

/// <summary>The Mqtt:RabbitMq:* settings: what a cluster needs, the defaults, and bad values stopped with the key named.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RabbitMqSettingsTests
{
    private static Dictionary<string, string?> Rabbit(params (string Key, string? Value)[] extra)
    {
        var d = new Dictionary<string, string?>
        {
            ["Mqtt:Broker"] = "rabbitmq",
            ["Mqtt:RabbitMq:Urls"] = "mqtt://b1.example:1883, mqtt://b2.example",
            ["Mqtt:RabbitMq:ManagementUrls"] = "http://b1.example:15672,http://b2.example:15672",
            ["Mqtt:RabbitMq:AdminUser"] = "admin",
            ["Mqtt:RabbitMq:AdminPassword"] = "secret",
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
    public void A_cluster_gets_its_urls_in_order_and_devices_get_the_same_by_default()
    {
        var s = Parse(Rabbit());
        Assert.True(s.UsesRabbitMq);
        Assert.False(s.UsesMosquitto);
        var r = s.RabbitMq!;
        Assert.Equal(["mqtt://b1.example:1883/", "mqtt://b2.example:1883/"], r.Urls.Select(u => u.ToString()));
        Assert.Equal(["mqtt://b1.example:1883", "mqtt://b2.example:1883"], r.DeviceUrls);
        Assert.Equal(("/", RabbitMqSettings.DefaultUser, null), (r.VirtualHost, r.User, r.CaFile));
        Assert.Equal(2, r.ManagementUrls.Count);
        Assert.Equal(2, r.SessionQueueNodes);
        Assert.DoesNotContain("secret", r.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Session_queues_may_live_on_more_nodes()
    {
        Assert.Equal(3, Parse(Rabbit(("Mqtt:RabbitMq:SessionQueueNodes", "3"))).RabbitMq!.SessionQueueNodes);
        Assert.Equal(1, Parse(Rabbit(("Mqtt:RabbitMq:SessionQueueNodes", "1"))).RabbitMq!.SessionQueueNodes);
    }

    [Fact]
    public void Devices_may_get_their_own_list_and_the_array_form_works()
    {
        var values = Rabbit(("Mqtt:RabbitMq:Urls", null), ("Mqtt:RabbitMq:Urls:0", "mqtts://10.0.0.1:8883"), ("Mqtt:RabbitMq:Urls:1", "mqtts://10.0.0.2:8883"),
            ("Mqtt:RabbitMq:PublicUrls", "mqtts://mq1.example.com:8883,mqtts://mq2.example.com:8883"));
        var r = Parse(values).RabbitMq!;
        Assert.Equal(2, r.Urls.Count);
        Assert.Equal(["mqtts://mq1.example.com:8883", "mqtts://mq2.example.com:8883"], r.DeviceUrls);
    }

    public static TheoryData<string, string?, string> BadValues => new()
    {
        { "Mqtt:RabbitMq:Urls", "", "Mqtt:RabbitMq:Urls is required" },
        { "Mqtt:RabbitMq:Urls", "http://b1:1883", "Mqtt:RabbitMq:Urls 'http://b1:1883'" },
        { "Mqtt:RabbitMq:Urls", "mqtt://b1:1883,mqtts://b2:8883", "mixes mqtt:// and mqtts://" },
        { "Mqtt:RabbitMq:Urls", string.Join(",", Enumerable.Range(1, 17).Select(i => $"mqtt://b{i}:1883")), "at most 16" },
        { "Mqtt:RabbitMq:ManagementUrls", "", "Mqtt:RabbitMq:ManagementUrls is required" },
        { "Mqtt:RabbitMq:ManagementUrls", "http://admin:pw@b1:15672", "Mqtt:RabbitMq:ManagementUrls 'http://admin:pw@b1:15672'" },
        { "Mqtt:RabbitMq:AdminUser", "", "Mqtt:RabbitMq:AdminUser is required" },
        { "Mqtt:RabbitMq:AdminPassword", "", "Mqtt:RabbitMq:AdminPassword is required" },
        { "Mqtt:RabbitMq:User", "0123456789abcdef0123456789abcdef", "not look like a node id" },
        { "Mqtt:RabbitMq:User", "admin", "not be the admin user" },
        { "Mqtt:RabbitMq:User", "a b", "Mqtt:RabbitMq:User 'a b'" },
        { "Mqtt:RabbitMq:PublicUrls", "ftp://x", "Mqtt:RabbitMq:PublicUrls 'ftp://x'" },
        { "Mqtt:RabbitMq:CaFile", "/nonexistent/ca.pem", "Mqtt:RabbitMq:CaFile '/nonexistent/ca.pem' cannot be read" },
        { "Mqtt:Broker", "kafka", "'embedded', 'mosquitto' or 'rabbitmq'" },
        { "Mqtt:RabbitMq:SessionQueueNodes", "0", "Mqtt:RabbitMq:SessionQueueNodes '0' must be a whole number of nodes from 1 to 16" },
        { "Mqtt:RabbitMq:SessionQueueNodes", "17", "Mqtt:RabbitMq:SessionQueueNodes '17'" },
        { "Mqtt:RabbitMq:SessionQueueNodes", "all", "Mqtt:RabbitMq:SessionQueueNodes 'all'" },
        { "Mqtt:RabbitMq:SessionQueueNodes", "-2", "Mqtt:RabbitMq:SessionQueueNodes '-2'" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_stops_the_start_naming_the_key(string key, string? value, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Parse(Rabbit((key, value))));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
