using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Agent.Tests.Http;

/// <summary>
/// A TLS server on 127.0.0.1 with a real certificate: for each connection it reads the request (head and Content-Length
/// body) and writes what <paramref name="answer"/> gives for it. Records the requests it saw and the connections that ended without one.
/// </summary>
public sealed class LoopbackHttpsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly Func<string, byte[]> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoopbackHttpsServer(X509Certificate2 certificate, Func<string, byte[]> answer)
    {
        _certificate = certificate;
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public List<string> Requests { get; } = [];

    /// <summary>Connections that ended without a request: a failed handshake, or a client that hung up after it.</summary>
    public List<string> Dropped { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            using (client)
            await using (var ssl = new SslStream(client.GetStream()))
            {
                try
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    // Under TLS 1.3 the client checks the server's certificate after the server's side is done: a client
                    // that refuses it closes the connection here, before any request.
                    var head = await FakeHttpConnector.ReadRequestAsync(ssl, 0);
                    if (head.Length == 0)
                    {
                        Record(Dropped, "closed without a request");
                        continue;
                    }
                    var length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))
                        .Select(l => int.Parse(l[16..], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                    var body = new byte[length];
                    await ssl.ReadExactlyAsync(body, _stop.Token);
                    var request = head + System.Text.Encoding.UTF8.GetString(body);
                    Record(Requests, request);
                    await ssl.WriteAsync(_answer(request), _stop.Token);
                    await ssl.ShutdownAsync();
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                    Record(Dropped, e.Message);
                }
            }
        }
    }

    private void Record(List<string> list, string what)
    {
        lock (Requests)
        {
            list.Add(what);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
        }
        _stop.Dispose();
    }
}
