using System.Net.Sockets;
using Appliance.Mqtt.Transport;

namespace Appliance.TestSupport;

/// <summary>A broker nobody listens on: every connect fails as TCP does on a closed port, and is counted.</summary>
public sealed class UnreachableMqttTransport : IMqttTransport
{
    public int Connects { get; private set; }

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Connects++;
        return ValueTask.FromException<Stream>(new SocketException((int)SocketError.ConnectionRefused));
    }
}
