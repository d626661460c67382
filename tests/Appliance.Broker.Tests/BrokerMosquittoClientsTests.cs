using System.Globalization;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>mosquitto_pub and mosquitto_sub (the reference command-line clients) against our broker.</summary>
public sealed class BrokerMosquittoClientsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [Trait("Category", TestCategories.Interop)]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task Qos0_qos1_and_wildcards(string version)
    {
        var sub = Prerequisites.RequireProgram("mosquitto_sub");
        await using var host = await BrokerHost.StartAsync();
        // stdbuf: mosquitto_sub block-buffers stdout into a pipe; line buffering lets us see SUBACK as it happens.
        using var watcher = new BackgroundProcess(Prerequisites.RequireProgram("stdbuf"), new[] { "-oL", sub }.Concat(Common(host, "server", version)).Concat(["-i", "watcher", "-d", "-v", "-q", "1", "-C", "3", "-t", "i/+/x", "-t", "w/#"]));
        await watcher.WaitForOutputAsync("received SUBACK", Wait);

        await PubAsync(host, version, "-q", "1", "-t", "i/a/x", "-m", "one");
        await PubAsync(host, version, "-q", "0", "-t", "w/deep/er", "-m", "two");
        await PubAsync(host, version, "-q", "1", "-t", "i/a/y", "-m", "unmatched");
        await PubAsync(host, version, "-q", "1", "-t", "i/b/x", "-m", "three");

        Assert.Equal(0, await watcher.WaitForExitAsync(Wait));
        var lines = watcher.Output.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.Length > 0 && !l.StartsWith("Client ", StringComparison.Ordinal) && !l.StartsWith("Subscribed", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(["i/a/x one", "i/b/x three", "w/deep/er two"], lines);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Retained_message_reaches_a_later_mosquitto_sub()
    {
        var sub = Prerequisites.RequireProgram("mosquitto_sub");
        await using var host = await BrokerHost.StartAsync();
        await PubAsync(host, "mqttv311", "-r", "-q", "1", "-t", "r/cfg", "-m", "kept");
        var result = await ProcessRunner.RunAsync(sub, Common(host, "server", "mqttv311").Concat(["-v", "-C", "1", "-W", "5", "-t", "r/#"]), timeout: Wait);
        result.EnsureSuccess("mosquitto_sub");
        Assert.Equal("r/cfg kept", result.StdOut.Trim());
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Bad_password_is_refused()
    {
        var pub = Prerequisites.RequireProgram("mosquitto_pub");
        await using var host = await BrokerHost.StartAsync();
        var result = await ProcessRunner.RunAsync(pub, ["-h", "127.0.0.1", "-p", Port(host), "-u", "n1", "-P", "wrong", "-t", "appliance/v1/report/n1/x", "-m", "x"], timeout: Wait);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("bad user name or password", result.StdErr + result.StdOut, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, host.Broker.Metrics.AuthenticationFailures);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Acl_denials_for_mosquitto_clients()
    {
        var sub = Prerequisites.RequireProgram("mosquitto_sub");
        var pub = Prerequisites.RequireProgram("mosquitto_pub");
        await using var host = await BrokerHost.StartAsync();
        var server = await host.ConnectAsync("server-internal");
        await server.SubscribeAsync("appliance/v1/#");

        // n1 asks for n2's topics: SUBACK failure, and nothing is delivered.
        using (var spy = new BackgroundProcess(Prerequisites.RequireProgram("stdbuf"), new[] { "-oL", sub }.Concat(Common(host, "n1", "mqttv311")).Concat(["-i", "n1", "-d", "-v", "-t", "appliance/v1/node/n2/#"])))
        {
            await spy.WaitForOutputAsync("received SUBACK", Wait);
            host.Broker.Publish("appliance/v1/node/n2/config", "secret"u8.ToArray());
            // mosquitto_sub gives up when every filter is refused; either way nothing may arrive.
            await Task.Delay(300);
            Assert.DoesNotContain("secret", spy.Output, StringComparison.Ordinal);
            Assert.Contains("Subscribed (mid: 1): 128", spy.Output, StringComparison.Ordinal);
        }
        Assert.Equal("appliance/v1/node/n2/config", (await BrokerHost.NextAsync(server)).Topic); // the server itself may read it

        // n1 publishes into n2's downlink: dropped and disconnected; its own report topic works.
        await ProcessRunner.RunAsync(pub, Common(host, "n1", "mqttv311").Concat(["-i", "n1", "-q", "1", "-t", "appliance/v1/node/n2/config", "-m", "evil"]), timeout: Wait);
        await PubAsAsync(host, "mqttv311", "n1", "-i", "n1", "-q", "1", "-t", "appliance/v1/report/n1/status", "-m", "fine");
        var m = await BrokerHost.NextAsync(server);
        Assert.Equal("appliance/v1/report/n1/status", m.Topic);
        await host.AssertNothingBeforeMarkerAsync(server, "appliance/v1/marker");
        Assert.Equal(2, host.Broker.Metrics.AclDenials);
    }

    private static string Port(BrokerHost host) => host.Port.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string> Common(BrokerHost host, string user, string version)
        => ["-h", "127.0.0.1", "-p", Port(host), "-u", user, "-P", user + "-secret", "-V", version];

    private static Task PubAsync(BrokerHost host, string version, params string[] args) => PubAsAsync(host, version, "server", args);

    private static async Task PubAsAsync(BrokerHost host, string version, string user, params string[] args)
    {
        var pub = Prerequisites.RequireProgram("mosquitto_pub");
        var result = await ProcessRunner.RunAsync(pub, Common(host, user, version).Concat(args), timeout: Wait);
        result.EnsureSuccess("mosquitto_pub " + string.Join(' ', args));
    }
}
