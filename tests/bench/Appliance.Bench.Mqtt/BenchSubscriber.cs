using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Bench.Mqtt;

/// <summary>
/// A lean subscriber on a raw socket: parses only fixed headers and the PUBLISH variable header, reads the send
/// timestamp from the payload, and batches PUBACKs, so 1000 of them cost the generator little CPU.
/// </summary>
internal sealed class BenchSubscriber : IDisposable
{
    private readonly Socket _socket;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _latencyUs = [];
    private long _delivered;

    private BenchSubscriber(Socket socket)
    {
        _socket = socket;
    }

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>0 warm-up, 1 measuring (latency sampled), 2 finished.</summary>
    public static int Phase { get; set; }

    public List<int> LatencySamples => _latencyUs;

    public Task Completion { get; private set; } = Task.CompletedTask;

    public static async Task<BenchSubscriber> ConnectAsync(int port, string clientId, string filter, MqttQos qos)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var s = new BenchSubscriber(socket);
        var v = MqttProtocolVersion.V311;
        byte[] hello = [
            .. MqttPacketEncoder.Encode(new MqttConnectPacket { ClientId = clientId, KeepAliveSeconds = 0 }, v),
            .. MqttPacketEncoder.Encode(new MqttSubscribePacket { PacketId = 1, Filters = [new MqttTopicFilter(filter, qos)] }, v),
        ];
        await socket.SendAsync(hello, SocketFlags.None);
        s.Completion = s.ReceiveLoopAsync();
        await s._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return s;
    }

    public void Dispose() => _socket.Dispose();

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var acks = new byte[16 * 1024];
        var end = 0;
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (n == 0)
                {
                    return;
                }
                end += n;
                var pos = 0;
                var ackLen = 0;
                var now = Stopwatch.GetTimestamp();
                while (end - pos >= 2)
                {
                    if (MqttVarInt.TryRead(buffer.AsSpan(pos + 1, end - pos - 1), out var remaining, out var lenBytes) != MqttDecodeStatus.Complete)
                    {
                        break;
                    }
                    var total = 1 + lenBytes + remaining;
                    if (end - pos < total)
                    {
                        break;
                    }
                    var type = buffer[pos] >> 4;
                    if (type == (int)MqttPacketType.Publish)
                    {
                        var qos = (buffer[pos] >> 1) & 3;
                        var body = pos + 1 + lenBytes;
                        var topicLen = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(body));
                        var offset = body + 2 + topicLen;
                        if (qos > 0)
                        {
                            acks[ackLen] = 0x40;
                            acks[ackLen + 1] = 0x02;
                            acks[ackLen + 2] = buffer[offset];
                            acks[ackLen + 3] = buffer[offset + 1];
                            ackLen += 4;
                            offset += 2;
                            if (ackLen > acks.Length - 4)
                            {
                                await _socket.SendAsync(acks.AsMemory(0, ackLen), SocketFlags.None);
                                ackLen = 0;
                            }
                        }
                        var sent = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(offset));
                        var count = Interlocked.Increment(ref _delivered);
                        if (Phase == 1 && (count & 7) == 0)
                        {
                            _latencyUs.Add((int)((now - sent) * 1_000_000 / Stopwatch.Frequency));
                        }
                    }
                    else if (type == (int)MqttPacketType.SubAck)
                    {
                        _subscribed.TrySetResult();
                    }
                    pos += total;
                }
                if (ackLen > 0)
                {
                    await _socket.SendAsync(acks.AsMemory(0, ackLen), SocketFlags.None);
                }
                Buffer.BlockCopy(buffer, pos, buffer, 0, end - pos);
                end -= pos;
                if (end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
