using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Bench.Mqtt;

/// <summary>10,000 connected idle clients: the broker's resident memory.</summary>
internal static class IdleScenario
{
    public static async Task<string> RunAsync(BrokerProcess broker, int clients)
    {
        await Task.Delay(1000);
        var baseline = ProcStat.RssKb(broker.Pid);
        var sockets = new Socket[clients];
        try
        {
            var next = -1;
            var workers = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
            {
                var buf = new byte[4];
                int i;
                while ((i = Interlocked.Increment(ref next)) < clients)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets[i] = s;
                    await s.ConnectAsync(IPAddress.Loopback, broker.Port);
                    await s.SendAsync(MqttPacketEncoder.Encode(new MqttConnectPacket { ClientId = "idle-" + i, KeepAliveSeconds = 0 }, MqttProtocolVersion.V311), SocketFlags.None);
                    var got = 0;
                    while (got < 4)
                    {
                        var n = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None);
                        if (n == 0)
                        {
                            throw new InvalidOperationException("broker closed idle client " + i);
                        }
                        got += n;
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            await Task.Delay(3000);
            var rss = ProcStat.RssKb(broker.Pid);
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"figure\":\"idle-{clients}-clients-rss\",\"broker\":\"{broker.Name}\",\"rss_mb\":{rss / 1024.0:F1},\"baseline_rss_mb\":{baseline / 1024.0:F1},\"kb_per_client\":{(rss - baseline) / (double)clients:F2},\"goal_mb\":200}}");
        }
        finally
        {
            foreach (var s in sockets)
            {
                s?.Dispose();
            }
        }
    }
}
