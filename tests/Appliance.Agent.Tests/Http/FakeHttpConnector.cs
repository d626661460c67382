using Appliance.Agent.Http;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Http;

/// <summary>An <see cref="IHttpConnector"/> whose every connection is an in-memory pipe; the test plays the server on <see cref="Servers"/>.</summary>
public sealed class FakeHttpConnector : IHttpConnector
{
    private readonly System.Threading.Channels.Channel<InMemoryDuplexStream> _servers = System.Threading.Channels.Channel.CreateUnbounded<InMemoryDuplexStream>();

    /// <summary>Set to make the next connections fail as a refused TCP connection does.</summary>
    public Exception? Failure { get; set; }

    public List<Uri> Connected { get; } = [];

    /// <summary>The server ends of the connections made so far, in order.</summary>
    public System.Threading.Channels.ChannelReader<InMemoryDuplexStream> Servers => _servers.Reader;

    public ValueTask<Stream> ConnectAsync(Uri server, CancellationToken ct)
    {
        if (Failure is not null)
        {
            return ValueTask.FromException<Stream>(Failure);
        }
        Connected.Add(server);
        var (client, serverEnd) = InMemoryDuplexStream.CreatePair();
        _servers.Writer.TryWrite(serverEnd);
        return ValueTask.FromResult<Stream>(client);
    }

    /// <summary>Plays one exchange: reads the request's head (and <paramref name="bodyBytes"/> of body), then writes <paramref name="pieces"/> and closes.</summary>
    public async Task<string> AnswerAsync(int bodyBytes, params byte[][] pieces)
    {
        var server = await _servers.Reader.ReadAsync();
        var request = await ReadRequestAsync(server, bodyBytes);
        foreach (var piece in pieces)
        {
            await server.WriteAsync(piece);
        }
        server.Dispose();
        return request;
    }

    public static async Task<string> ReadRequestAsync(Stream server, int bodyBytes)
    {
        var seen = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await server.ReadAsync(one) == 0)
            {
                break;
            }
            seen.Add(one[0]);
            var text = System.Text.Encoding.ASCII.GetString(seen.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0 && seen.Count == end + 4 + bodyBytes)
            {
                break;
            }
        }
        return System.Text.Encoding.ASCII.GetString(seen.ToArray());
    }
}
