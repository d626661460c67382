using System.Text;
using System.Threading.Channels;
using Appliance.TestSupport;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Broker.Tests;

/// <summary>
/// Conformance with an independent implementation: MQTTnet's client (beside Mosquitto's tools in
/// <see cref="BrokerMosquittoClientsTests"/>) drives the broker through connect and authentication, QoS 0 and 1,
/// retained messages, persistent sessions and ACL refusals, in both protocol versions.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class BrokerMqttNetClientTests : IAsyncLifetime
{
    private readonly List<IMqttClient> _clients = [];
    private BrokerHost _host = null!;

    public async Task InitializeAsync() => _host = await BrokerHost.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }
        await _host.DisposeAsync();
    }

    public static TheoryData<MqttProtocolVersion> Versions => [MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Good_credentials_connect_and_bad_ones_are_refused(MqttProtocolVersion version)
    {
        var (good, _) = Client();
        var result = await good.ConnectAsync(Options("ok", "n1", "n1-secret", version));
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.True(good.IsConnected);

        // MQTTnet 5 reports a refused CONNECT in the result instead of throwing.
        var (wrongPassword, _) = Client();
        var refused = await wrongPassword.ConnectAsync(Options("n1", "n1", "wrong", version));
        var (unknownUser, _) = Client();
        var unknown = await unknownUser.ConnectAsync(Options("x", "nobody", "n1-secret", version));
        Assert.Equal((MqttClientConnectResultCode.BadUserNameOrPassword, MqttClientConnectResultCode.BadUserNameOrPassword), (refused.ResultCode, unknown.ResultCode));
        Assert.False(wrongPassword.IsConnected || unknownUser.IsConnected);
        Assert.Equal(2, _host.Broker.Metrics.AuthenticationFailures);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Qos0_and_qos1_messages_arrive_at_the_qos_asked(MqttProtocolVersion version)
    {
        var (sub, inbox) = await ConnectedAsync("sub", version: version);
        await SubscribeAsync(sub, "t/0", MqttQualityOfServiceLevel.AtMostOnce);
        await SubscribeAsync(sub, "t/1", MqttQualityOfServiceLevel.AtLeastOnce);
        var (pub, _) = await ConnectedAsync("pub", version: version);

        await pub.PublishAsync(Message("t/0", "zero", MqttQualityOfServiceLevel.AtMostOnce));
        var qos1 = await pub.PublishAsync(Message("t/1", "one", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.True(qos1.IsSuccess, qos1.ReasonString);

        var received = new[] { await NextAsync(inbox), await NextAsync(inbox) }.OrderBy(m => m.Topic, StringComparer.Ordinal).ToArray();
        Assert.Equal(("t/0", "zero", MqttQualityOfServiceLevel.AtMostOnce), (received[0].Topic, received[0].ConvertPayloadToString(), received[0].QualityOfServiceLevel));
        Assert.Equal(("t/1", "one", MqttQualityOfServiceLevel.AtLeastOnce), (received[1].Topic, received[1].ConvertPayloadToString(), received[1].QualityOfServiceLevel));
        await AssertNothingBeforeMarkerAsync(inbox, "t/1");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_retained_message_reaches_a_later_subscriber_flagged_retained_and_an_empty_one_clears_it(MqttProtocolVersion version)
    {
        var (pub, _) = await ConnectedAsync("pub", version: version);
        await pub.PublishAsync(Message("r/state", "on", MqttQualityOfServiceLevel.AtLeastOnce, retain: true));

        var (late, inbox) = await ConnectedAsync("late", version: version);
        await SubscribeAsync(late, "r/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var retained = await NextAsync(inbox);
        Assert.Equal(("r/state", "on", true), (retained.Topic, retained.ConvertPayloadToString(), retained.Retain));

        // 3.1.1 section 3.3.1.3: an empty retained payload removes the retained message.
        await pub.PublishAsync(Message("r/state", "", MqttQualityOfServiceLevel.AtLeastOnce, retain: true));
        await NextAsync(inbox); // the live delivery of the empty message
        var (later, laterInbox) = await ConnectedAsync("later", version: version);
        await SubscribeAsync(later, "r/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await AssertNothingBeforeMarkerAsync(laterInbox, "r/marker");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_persistent_session_keeps_subscriptions_and_gets_what_was_published_while_offline(MqttProtocolVersion version)
    {
        var (node, inbox) = Client();
        var options = Options("n1", "n1", "n1-secret", version, cleanStart: false);
        var first = await node.ConnectAsync(options);
        Assert.False(first.IsSessionPresent);
        await SubscribeAsync(node, "appliance/v1/node/n1/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await node.DisconnectAsync();
        await Wait.UntilAsync(() => _host.Broker.Metrics.ConnectionsCurrent == 0, "the broker to see the client go");

        for (var i = 0; i < 3; i++)
        {
            _host.Broker.Publish("appliance/v1/node/n1/mesh", Encoding.UTF8.GetBytes("v" + i), Appliance.Mqtt.Packets.MqttQos.AtLeastOnce);
        }
        Assert.Equal(3, _host.Broker.GetQueuedCount("n1"));

        // Same client id, clean start off: the session and its subscription are still there, with the queued messages in order.
        var again = await node.ConnectAsync(options);
        Assert.True(again.IsSessionPresent);
        for (var i = 0; i < 3; i++)
        {
            var m = await NextAsync(inbox);
            Assert.Equal(("appliance/v1/node/n1/mesh", "v" + i), (m.Topic, m.ConvertPayloadToString()));
        }
        await AssertNothingBeforeMarkerAsync(inbox, "appliance/v1/node/n1/marker");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_node_receives_nothing_its_acl_forbids_and_cannot_publish_outside_it(MqttProtocolVersion version)
    {
        var (n1, n1Inbox) = await ConnectedAsync("n1", "n1", version: version);
        var (n2, n2Inbox) = await ConnectedAsync("n2", "n2", version: version);
        // n1 asks for n2's topics and for everything; what counts is what it is sent, not what SUBACK says.
        await n1.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("appliance/v1/node/n2/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        await SubscribeAsync(n1, "appliance/v1/node/n1/#", MqttQualityOfServiceLevel.AtLeastOnce); // its own, for the marker
        await SubscribeAsync(n2, "appliance/v1/node/n2/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var (server, serverInbox) = await ConnectedAsync("server", version: version);
        await SubscribeAsync(server, "appliance/v1/report/#", MqttQualityOfServiceLevel.AtLeastOnce);

        _host.Broker.Publish("appliance/v1/node/n2/mesh", "for-n2"u8.ToArray(), Appliance.Mqtt.Packets.MqttQos.AtLeastOnce, retain: true);
        Assert.Equal("for-n2", (await NextAsync(n2Inbox)).ConvertPayloadToString());
        await AssertNothingBeforeMarkerAsync(n1Inbox, "appliance/v1/node/n1/marker");

        // n1 may report only as itself: a report in n2's name never reaches the server.
        try
        {
            await n1.PublishAsync(Message("appliance/v1/report/n2/status", "forged", MqttQualityOfServiceLevel.AtLeastOnce));
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            // 3.1.1 has no way to refuse a PUBLISH: the broker closes the connection instead.
        }
        await AssertNothingBeforeMarkerAsync(serverInbox, "appliance/v1/report/marker/status");
        Assert.True(_host.Broker.Metrics.AclDenials >= 3);
    }

    private (IMqttClient Client, Channel<MqttApplicationMessage> Inbox) Client()
    {
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var inbox = Channel.CreateUnbounded<MqttApplicationMessage>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            inbox.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        return (client, inbox);
    }

    private async Task<(IMqttClient Client, Channel<MqttApplicationMessage> Inbox)> ConnectedAsync(string clientId, string user = "server", MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        var (client, inbox) = Client();
        await client.ConnectAsync(Options(clientId, user, user + "-secret", version));
        return (client, inbox);
    }

    private MqttClientOptions Options(string clientId, string user, string password, MqttProtocolVersion version, bool cleanStart = true)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _host.Port)
            .WithClientId(clientId)
            .WithCredentials(user, password)
            .WithProtocolVersion(version)
            .WithCleanStart(cleanStart)
            .WithTimeout(BrokerHost.Wait);
        if (!cleanStart && version == MqttProtocolVersion.V500)
        {
            // 5.0: a session outlives its connection only for the expiry the client asks.
            builder = builder.WithSessionExpiryInterval(3600);
        }
        return builder.Build();
    }

    private static Task SubscribeAsync(IMqttClient client, string filter, MqttQualityOfServiceLevel qos) =>
        client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build());

    private static MqttApplicationMessage Message(string topic, string payload, MqttQualityOfServiceLevel qos, bool retain = false) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).Build();

    private static async Task<MqttApplicationMessage> NextAsync(Channel<MqttApplicationMessage> inbox)
    {
        using var cts = new CancellationTokenSource(BrokerHost.Wait);
        return await inbox.Reader.ReadAsync(cts.Token);
    }

    /// <summary>
    /// Proves nothing else is on its way by order instead of a quiet period: the broker publishes a marker on
    /// <paramref name="markerTopic"/> (which the client reads), and it must be the next message, since anything routed
    /// to the client before it arrives first.
    /// </summary>
    private async Task AssertNothingBeforeMarkerAsync(Channel<MqttApplicationMessage> inbox, string markerTopic)
    {
        _host.Broker.Publish(markerTopic, "marker"u8.ToArray(), Appliance.Mqtt.Packets.MqttQos.AtLeastOnce);
        var m = await NextAsync(inbox);
        Assert.True((m.Topic, m.ConvertPayloadToString()) == (markerTopic, "marker"), $"unexpected message on {m.Topic}: {m.ConvertPayloadToString()}");
    }
}
