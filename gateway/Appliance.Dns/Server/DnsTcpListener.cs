using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Dns.Server;

/// <summary>
/// DNS over TCP (RFC 1035 4.2.2, RFC 7766): 2-byte length prefix, several queries per connection read while earlier
/// ones are still being answered (pipelining, answers may come out of order), an idle timeout, a connection cap.
/// </summary>
internal sealed class DnsTcpListener
{
    private const int MaxInFlightPerConnection = 16;
    private readonly Socket _listener;
    private readonly IDnsRequestHandler _handler;
    private readonly DnsServerStatistics _stats;
    private readonly DnsServerOptions _options;
    private int _connections;
    private Task _completion = Task.CompletedTask;

    public DnsTcpListener(IPEndPoint endpoint, IDnsRequestHandler handler, DnsServerStatistics stats, DnsServerOptions options)
    {
        _handler = handler;
        _stats = stats;
        _options = options;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _listener.DualMode = false;
            }
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(endpoint);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
    }

    public Task Completion => _completion;

    public void Start(CancellationToken ct) => _completion = Task.Run(() => AcceptLoopAsync(ct), CancellationToken.None);

    public void Stop() => _listener.Dispose();

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var s = await _listener.AcceptAsync(ct).ConfigureAwait(false);
                if (Interlocked.Increment(ref _connections) > _options.MaxTcpConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    s.Dispose();
                    continue;
                }
                Interlocked.Increment(ref _stats._tcpConnections);
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(s, ct), CancellationToken.None));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        var remote = socket.RemoteEndPoint!.Serialize();
        using var writeLock = new SemaphoreSlim(1);
        using var inFlight = new SemaphoreSlim(MaxInFlightPerConnection);
        var pending = new List<Task>();
        var lengthPrefix = new byte[2];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(_options.TcpIdleTimeout);
                if (!await ReadExactlyAsync(socket, lengthPrefix, idle.Token).ConfigureAwait(false))
                {
                    break;
                }
                var length = BinaryPrimitives.ReadUInt16BigEndian(lengthPrefix);
                var query = ArrayPool<byte>.Shared.Rent(Math.Max((int)length, 1));
                if (!await ReadExactlyAsync(socket, query.AsMemory(0, length), idle.Token).ConfigureAwait(false))
                {
                    ArrayPool<byte>.Shared.Return(query);
                    break;
                }
                Interlocked.Increment(ref _stats._tcpReceived);
                await inFlight.WaitAsync(ct).ConfigureAwait(false);
                pending.RemoveAll(t => t.IsCompleted);
                pending.Add(AnswerAsync(socket, query, length, remote, writeLock, inFlight, ct));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            // Idle timeout, server stop, or the client went away.
        }
        finally
        {
            // Let answers already being worked on go out before the socket closes (RFC 7766 6.2.3).
            await Task.WhenAll(pending).ConfigureAwait(false);
            socket.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task AnswerAsync(Socket socket, byte[] query, int length, SocketAddress remote, SemaphoreSlim writeLock, SemaphoreSlim inFlight, CancellationToken ct)
    {
        var response = ArrayPool<byte>.Shared.Rent(ushort.MaxValue + 2);
        try
        {
            var request = DnsRequest.Create(query.AsMemory(0, length), DnsTransport.Tcp, remote);
            var n = await _handler.HandleAsync(request, response.AsMemory(2, ushort.MaxValue), ct).ConfigureAwait(false);
            if (n <= 0)
            {
                return;
            }
            BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)n);
            Interlocked.Increment(ref _stats._responses);
            DnsQueryLogger.Log(_options.QueryLog, request, response.AsSpan(2, n), "tcp");
            await writeLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await socket.SendAsync(response.AsMemory(0, n + 2), SocketFlags.None, ct).ConfigureAwait(false);
            }
            finally
            {
                writeLock.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _stats._handlerErrors);
            _options.Log?.Invoke($"dns: handler failed: {e}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(query);
            ArrayPool<byte>.Shared.Return(response);
            inFlight.Release();
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket s, Memory<byte> into, CancellationToken ct)
    {
        while (into.Length > 0)
        {
            var n = await s.ReceiveAsync(into, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            into = into[n..];
        }
        return true;
    }
}
