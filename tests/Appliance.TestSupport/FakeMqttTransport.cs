using System.Threading.Channels;
using Appliance.Mqtt.Transport;

namespace Appliance.TestSupport;

/// <summary>The fake of <see cref="IMqttTransport"/>: every connect hands the test the server end of an in-memory pipe.</summary>
public sealed class FakeMqttTransport : IMqttTransport
{
    public Channel<InMemoryDuplexStream> ServerEnds { get; } = Channel.CreateUnbounded<InMemoryDuplexStream>();

    public int Connects { get; private set; }

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Connects++;
        var (client, server) = InMemoryDuplexStream.CreatePair();
        ServerEnds.Writer.TryWrite(server);
        return ValueTask.FromResult<Stream>(client);
    }
}
