using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerSecurityTests
{
    [Theory]
    [Trait("Category", TestCategories.Integration)]
    [InlineData("n1", "wrong", MqttProtocolVersion.V311, (byte)MqttConnectReturnCode.BadUserNameOrPassword)]
    [InlineData("nobody", "x", MqttProtocolVersion.V311, (byte)MqttConnectReturnCode.BadUserNameOrPassword)]
    [InlineData("n1", "wrong", MqttProtocolVersion.V500, (byte)MqttReasonCode.BadUserNameOrPassword)]
    public async Task Bad_credentials_are_refused_and_counted(string user, string password, MqttProtocolVersion version, byte expected)
    {
        await using var host = await BrokerHost.StartAsync();
        var client = host.Own(new MqttClient(host.Options("c", user, password, version)));
        var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Equal(expected, e.ReasonCode);
        Assert.Equal(1, host.Broker.Metrics.AuthenticationFailures);
        Assert.Contains(host.Log, l => l.Contains("authentication failed", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Node_may_subscribe_only_to_its_own_and_its_networks_topics()
    {
        await using var host = await BrokerHost.StartAsync();
        var n1 = await host.ConnectAsync("n1", "n1");
        var codes = await n1.SubscribeAsync(
        [
            new MqttTopicFilter("appliance/v1/node/n1/#", MqttQos.AtLeastOnce),
            new MqttTopicFilter("appliance/v1/net/lab/peers", MqttQos.AtLeastOnce),
            new MqttTopicFilter("appliance/v1/node/n2/#", MqttQos.AtLeastOnce),
            new MqttTopicFilter("appliance/v1/node/+/config", MqttQos.AtLeastOnce),
            new MqttTopicFilter("#", MqttQos.AtLeastOnce),
            new MqttTopicFilter("appliance/v1/net/other/#", MqttQos.AtLeastOnce),
        ]);
        Assert.Equal(new byte[] { 1, 1, 0x80, 0x80, 0x80, 0x80 }, codes);
        Assert.Equal(4, host.Broker.Metrics.AclDenials);

        host.Broker.Publish("appliance/v1/node/n2/config", "secret"u8.ToArray());
        host.Broker.Publish("appliance/v1/node/n1/config", "mine"u8.ToArray());
        Assert.Equal("appliance/v1/node/n1/config", (await BrokerHost.NextAsync(n1)).Topic);
        await host.AssertNothingBeforeMarkerAsync(n1, "appliance/v1/node/n1/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mqtt5_subscribe_denial_uses_not_authorized()
    {
        await using var host = await BrokerHost.StartAsync();
        var n1 = await host.ConnectAsync("n1", "n1", MqttProtocolVersion.V500);
        Assert.Equal(new byte[] { (byte)MqttReasonCode.NotAuthorized }, await n1.SubscribeAsync("appliance/v1/node/n2/#"));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Node_publishing_outside_its_report_topics_is_disconnected()
    {
        await using var host = await BrokerHost.StartAsync();
        var server = await host.ConnectAsync("server-internal");
        await server.SubscribeAsync("appliance/v1/#");
        var n1 = await host.ConnectAsync("n1", "n1", configure: o => o.AutoReconnect = false);

        await n1.PublishAsync("appliance/v1/report/n1/status", "ok", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("appliance/v1/report/n1/status", (await BrokerHost.NextAsync(server)).Topic);

        await n1.PublishAsync("appliance/v1/node/n2/config", "evil");
        await Wait.UntilAsync(() => !n1.IsConnected, "n1 disconnected");
        Assert.Equal(1, host.Broker.Metrics.AclDenials);
        Assert.Contains(host.Log, l => l.Contains("may not publish", StringComparison.Ordinal));
        await host.AssertNothingBeforeMarkerAsync(server, "appliance/v1/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mqtt5_qos1_publish_denial_is_a_negative_puback()
    {
        await using var host = await BrokerHost.StartAsync();
        var n1 = await host.ConnectAsync("n1", "n1", MqttProtocolVersion.V500);
        var e = await Assert.ThrowsAsync<MqttPublishRefusedException>(() => n1.PublishAsync("appliance/v1/report/n2/x", "no", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait));
        Assert.Equal(MqttReasonCode.NotAuthorized, e.ReasonCode);
        Assert.True(n1.IsConnected);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Will_on_a_forbidden_topic_is_refused_at_connect()
    {
        await using var host = await BrokerHost.StartAsync();
        var options = host.Options("n1", "n1");
        options.Will = new MqttWill { Topic = "appliance/v1/node/n2/x", Payload = "x"u8.ToArray() };
        var c = host.Own(new MqttClient(options));
        var e = await Assert.ThrowsAsync<MqttConnectException>(() => c.ConnectAsync());
        Assert.Equal((byte)MqttConnectReturnCode.NotAuthorized, e.ReasonCode);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Node_acl_is_a_pure_object()
    {
        var acl = MeshAcls.Node("n7", "lab", "prod");
        Assert.True(acl.CanSubscribe("appliance/v1/node/n7/#"));
        Assert.True(acl.CanSubscribe("appliance/v1/net/prod/peers"));
        Assert.False(acl.CanSubscribe("appliance/v1/net/+/peers"));
        Assert.True(acl.CanPublish("appliance/v1/report/n7/metrics"));
        Assert.False(acl.CanPublish("appliance/v1/report/n8/metrics"));
        Assert.False(acl.CanPublish("appliance/v1/node/n7/config"));
        Assert.Throws<ArgumentException>(() => new MqttTopicAcl(["a/#/b"], []));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task In_memory_authenticator_binds_client_ids_when_asked()
    {
        var auth = new InMemoryMqttAuthenticator();
        auth.Set("n1", "pw", MqttTopicAcl.DenyAll, clientId: "n1");
        Assert.True((await auth.AuthenticateAsync("n1", "n1", "pw", default)).Succeeded);
        Assert.False((await auth.AuthenticateAsync("n2", "n1", "pw", default)).Succeeded);
        Assert.False((await auth.AuthenticateAsync("n1", "n1", "bad", default)).Succeeded);
        Assert.False((await auth.AuthenticateAsync("n1", null, null, default)).Succeeded);
    }
}
