using System.Net;
using Appliance.Broker;

namespace Appliance.Bench.Mqtt;

/// <summary>`host --port N`: our broker alone in this process, so its CPU and RSS can be read from /proc.</summary>
internal static class HostMode
{
    public static async Task<int> RunAsync(int port)
    {
        NativeLimits.RaiseOpenFiles();
        var options = new MqttBrokerOptions
        {
            MaxConnections = 19_000,
            MaxNewConnectionsPerSecond = 1_000_000,
            MaxNewConnectionsPerSecondPerAddress = 1_000_000,
            MaxPendingWritesPerClient = 100_000,
        };
        options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(IPAddress.Loopback, port)));
        await using var broker = new MqttBroker(options, new AllowAllAuthenticator());
        await broker.StartAsync(CancellationToken.None);
        Console.WriteLine("READY");
        // Runs until the parent closes stdin.
        await Console.In.ReadToEndAsync();
        await broker.StopAsync(CancellationToken.None);
        return 0;
    }

    private sealed class AllowAllAuthenticator : IMqttAuthenticator
    {
        public ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken)
            => ValueTask.FromResult(MqttAuthResult.Allow(new MqttPrincipal(clientId, MqttTopicAcl.AllowAll)));
    }
}
