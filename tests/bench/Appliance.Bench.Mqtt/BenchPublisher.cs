using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Bench.Mqtt;

/// <summary>
/// One publisher connection. Frames are encoded once per topic and patched (timestamp, packet id) at send time.
/// A window bounds deliveries in flight, so the run measures what the broker sustains rather than queue overflow.
/// </summary>
internal sealed class BenchPublisher : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[][] _frames;
    private readonly int _packetIdOffset;
    private readonly int _payloadOffset;
    private readonly MqttQos _qos;

    private BenchPublisher(Socket socket, byte[][] frames, int packetIdOffset, int payloadOffset, MqttQos qos)
    {
        _socket = socket;
        _frames = frames;
        _packetIdOffset = packetIdOffset;
        _payloadOffset = payloadOffset;
        _qos = qos;
    }

    public long Published { get; private set; }

    public static async Task<BenchPublisher> ConnectAsync(int port, IReadOnlyList<string> topics, MqttQos qos, int payloadSize)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var v = MqttProtocolVersion.V311;
        await socket.SendAsync(MqttPacketEncoder.Encode(new MqttConnectPacket { ClientId = "bench-pub", KeepAliveSeconds = 0 }, v), SocketFlags.None);
        var connack = new byte[4];
        await socket.ReceiveAsync(connack, SocketFlags.None);
        var frames = topics.Select(t => MqttPacketEncoder.Encode(
            new MqttPublishPacket { Topic = t, Qos = qos, PacketId = qos > 0 ? (ushort)1 : (ushort)0, Payload = new byte[payloadSize] }, v)).ToArray();
        // All topics have the same length, so the offsets are shared.
        MqttVarInt.TryRead(frames[0].AsSpan(1), out _, out var lengthBytes);
        var header = 1 + lengthBytes;
        var packetIdOffset = header + 2 + System.Text.Encoding.UTF8.GetByteCount(topics[0]);
        var payloadOffset = packetIdOffset + (qos > 0 ? 2 : 0);
        var p = new BenchPublisher(socket, frames, packetIdOffset, payloadOffset, qos);
        _ = p.DrainAcksAsync();
        return p;
    }

    /// <summary>Publishes until <paramref name="until"/>, keeping (published x fan-out - delivered) under <paramref name="window"/>.</summary>
    public async Task RunAsync(long untilTimestamp, int deliveriesPerMessage, long window, Func<long> delivered)
    {
        var buffer = new byte[256 * 1024];
        ushort packetId = 0;
        var next = 0;
        while (Stopwatch.GetTimestamp() < untilTimestamp)
        {
            var room = (window - ((Published * deliveriesPerMessage) - delivered())) / deliveriesPerMessage;
            if (room <= 0)
            {
                await Task.Delay(1);
                continue;
            }
            var used = 0;
            var count = 0;
            var now = Stopwatch.GetTimestamp();
            while (count < room && count < 256 && used + _frames[next].Length <= buffer.Length)
            {
                var frame = _frames[next];
                frame.CopyTo(buffer, used);
                if (_qos > 0)
                {
                    packetId = packetId == ushort.MaxValue ? (ushort)1 : (ushort)(packetId + 1);
                    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(used + _packetIdOffset), packetId);
                }
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(used + _payloadOffset), now);
                used += frame.Length;
                count++;
                next = (next + 1) % _frames.Length;
            }
            await _socket.SendAsync(buffer.AsMemory(0, used), SocketFlags.None);
            Published += count;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task DrainAcksAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
