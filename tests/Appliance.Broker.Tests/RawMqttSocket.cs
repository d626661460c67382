using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Broker.Tests;

/// <summary>A bare TCP socket for sending hand-made bytes to the broker and reading its answers.</summary>
internal sealed class RawMqttSocket : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly MqttFrameReader _reader;

    private RawMqttSocket(TcpClient tcp, MqttProtocolVersion version)
    {
        _tcp = tcp;
        _reader = new MqttFrameReader(tcp.GetStream(), 1 << 20, false) { ProtocolVersion = version };
    }

    public static async Task<RawMqttSocket> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RawMqttSocket(tcp, version);
    }

    public Task SendAsync(byte[] bytes) => _tcp.GetStream().WriteAsync(bytes).AsTask();

    public Task SendAsync(MqttPacket packet, MqttProtocolVersion version = MqttProtocolVersion.V311) => SendAsync(MqttPacketEncoder.Encode(packet, version));

    /// <summary>The next packet, or null when the broker closed the connection.</summary>
    public async Task<MqttPacket?> ReceiveAsync(TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? BrokerHost.Wait);
        try
        {
            return await _reader.ReadAsync(cts.Token);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True when the broker closed the socket within the wait (packets before the close are skipped).</summary>
    public async Task<bool> ClosedByBrokerAsync(TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? BrokerHost.Wait);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await ReceiveAsync(deadline - DateTime.UtcNow) is null)
                {
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (MqttProtocolException)
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _tcp.Dispose();
    }
}
