using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Server;

/// <summary>
/// One UDP socket with several receive loops, each owning its buffers and socket address (no allocation per
/// datagram on the local path). A query that has to wait for an upstream takes the loop's buffers with it and the
/// loop rents new ones, so a slow upstream never stalls the socket.
/// </summary>
internal sealed class DnsUdpListener
{
    private const int BufferSize = ushort.MaxValue;

    // At most this many queries wait for an upstream per socket; beyond it a loop waits for its own query
    // (backpressure into the kernel buffer), so buffers stay bounded under a flood of uncached names.
    private const int MaxPending = 64;
    private readonly System.Collections.Concurrent.ConcurrentBag<byte[]> _spare = [];
    private int _pending;
    private readonly Socket _socket;
    private readonly IDnsRequestHandler _handler;
    private readonly DnsServerStatistics _stats;
    private readonly DnsServerOptions _options;
    private Task _completion = Task.CompletedTask;

    public DnsUdpListener(IPEndPoint endpoint, IDnsRequestHandler handler, DnsServerStatistics stats, DnsServerOptions options)
    {
        _handler = handler;
        _stats = stats;
        _options = options;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = false;
            }
            _socket.ReceiveBufferSize = 4 << 20;
            _socket.Bind(endpoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndpoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndpoint { get; }

    public Task Completion => _completion;

    public void Start(int loops, CancellationToken ct) =>
        _completion = Task.WhenAll(Enumerable.Range(0, Math.Max(1, loops)).Select(_ => Task.Run(() => ReceiveLoopAsync(ct), CancellationToken.None)));

    public void Stop() => _socket.Dispose();

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var query = Rent();
        var response = Rent();
        var remote = new SocketAddress(_socket.AddressFamily);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveFromAsync(query, SocketFlags.None, remote, ct).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    continue;
                }
                Interlocked.Increment(ref _stats._udpReceived);
                var request = DnsRequest.Create(query.AsMemory(0, n), DnsTransport.Udp, remote);
                ValueTask<int> pending;
                try
                {
                    pending = _handler.HandleAsync(request, response, ct);
                    if (pending.IsCompletedSuccessfully)
                    {
                        Send(request, response, pending.Result, remote);
                        continue;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                {
                    // One bad datagram never ends the loop.
                    HandlerFailed(e);
                    continue;
                }
                if (Interlocked.Increment(ref _pending) > MaxPending)
                {
                    try
                    {
                        Send(request, response, await pending.ConfigureAwait(false), remote);
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                    {
                        HandlerFailed(e);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _pending);
                    }
                    continue;
                }
                // Hand this loop's buffers to the pending query; carry on with fresh ones.
                _ = CompleteLaterAsync(pending, request, query, response, remote);
                query = Rent();
                response = Rent();
                remote = new SocketAddress(_socket.AddressFamily);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            Return(query);
            Return(response);
        }
    }

    private async Task CompleteLaterAsync(ValueTask<int> pending, DnsRequest request, byte[] query, byte[] response, SocketAddress remote)
    {
        try
        {
            var length = await pending.ConfigureAwait(false);
            Send(request, response, length, remote);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            HandlerFailed(e);
        }
        catch (Exception)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
            Return(query);
            Return(response);
        }
    }

    private byte[] Rent() => _spare.TryTake(out var b) ? b : GC.AllocateUninitializedArray<byte>(BufferSize);

    private void Return(byte[] buffer)
    {
        if (_spare.Count < MaxPending)
        {
            _spare.Add(buffer);
        }
    }

    private void Send(DnsRequest request, byte[] response, int length, SocketAddress remote)
    {
        if (length <= 0)
        {
            return;
        }
        // RFC 1035 4.2.1 / RFC 6891 7: the server, not the handler, cuts what does not fit the client's limit.
        var limit = request.Parsed.UdpLimit(_options.MaxUdpPayload);
        if (length > limit)
        {
            length = DnsTruncation.Apply(response, length, limit);
            Interlocked.Increment(ref _stats._truncated);
        }
        Interlocked.Increment(ref _stats._responses);
        DnsQueryLogger.Log(_options.QueryLog, request, response.AsSpan(0, length), "udp");
        try
        {
            // A datagram send does not wait for the peer; the synchronous call avoids the async machinery per answer.
            _socket.SendTo(response.AsSpan(0, length), SocketFlags.None, remote);
        }
        catch (SocketException)
        {
            // The client went away (ICMP unreachable, buffer full): nothing to do for a datagram.
        }
    }

    private void HandlerFailed(Exception e)
    {
        Interlocked.Increment(ref _stats._handlerErrors);
        _options.Log?.Invoke($"dns: handler failed: {e}");
    }
}
