using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Server;

/// <summary>
/// UDP on one address: one socket per receive loop, all bound to the same port with SO_REUSEPORT (the kernel
/// spreads datagrams over them), each loop owning its socket, buffers and socket addresses (no allocation per
/// datagram on the local path). A loop takes every queued datagram with one recvmmsg(2) and sends the answers with
/// one sendmmsg(2) (<see cref="DnsServerOptions.UdpBatchSize"/>), so under load the system-call cost is shared by
/// a batch. A query that has to wait for an upstream takes its buffers with it and the loop gets new ones, so a
/// slow upstream never stalls the socket.
/// </summary>
internal sealed class DnsUdpListener
{
    private const int BufferSize = ushort.MaxValue;

    /// <summary>Largest query a batch slot takes (an EDNS query is far smaller); a longer datagram is dropped and counted.</summary>
    internal const int BatchQuerySize = 4096;

    // At most this many queries wait for an upstream per address; beyond it a loop waits for its own query
    // (backpressure into the kernel buffer), so buffers stay bounded under a flood of uncached names.
    private const int MaxPending = 64;
    private readonly System.Collections.Concurrent.ConcurrentBag<byte[]> _spare = [];
    private readonly System.Collections.Concurrent.ConcurrentBag<byte[]> _spareQueries = [];
    private int _pending;
    private const int SOL_SOCKET = 1;
    private const int SO_REUSEPORT = 15;
    private readonly List<Socket> _sockets = [];
    private readonly IDnsRequestHandler _handler;
    private readonly DnsServerStatistics _stats;
    private readonly DnsServerOptions _options;
    private Task _completion = Task.CompletedTask;

    public DnsUdpListener(IPEndPoint endpoint, IDnsRequestHandler handler, DnsServerStatistics stats, DnsServerOptions options)
    {
        _handler = handler;
        _stats = stats;
        _options = options;
        try
        {
            // The first socket fixes the port (when 0 was asked for); the others join it.
            for (var i = 0; i < Math.Max(1, options.UdpReceiveLoops); i++)
            {
                var s = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                _sockets.Add(s);
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    s.DualMode = false;
                }
                s.SetRawSocketOption(SOL_SOCKET, SO_REUSEPORT, BitConverter.GetBytes(1));
                s.ReceiveBufferSize = 1 << 20;
                s.Bind(i == 0 ? endpoint : _sockets[0].LocalEndPoint!);
            }
        }
        catch
        {
            Stop();
            throw;
        }
        LocalEndpoint = (IPEndPoint)_sockets[0].LocalEndPoint!;
    }

    public IPEndPoint LocalEndpoint { get; }

    public Task Completion => _completion;

    /// <summary>
    /// One dedicated thread per socket doing blocking receives: a datagram costs one recvfrom and one sendto, with
    /// no event-loop registration or thread-pool hop (the receive timeout lets the thread notice a stop).
    /// </summary>
    public void Start(CancellationToken ct)
    {
        var done = new List<Task>();
        foreach (var s in _sockets)
        {
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done.Add(finished.Task);
            // Blocking calls with a receive timeout (SO_RCVTIMEO), which recvmmsg honours too.
            s.Blocking = true;
            s.ReceiveTimeout = 500;
            var thread = new Thread(() =>
            {
                try
                {
                    if (_options.UdpBatchSize > 1)
                    {
                        BatchReceiveLoop(s, ct);
                    }
                    else
                    {
                        ReceiveLoop(s, ct);
                    }
                }
                finally
                {
                    finished.TrySetResult();
                }
            })
            { IsBackground = true, Name = "dns-udp" };
            thread.Start();
        }
        _completion = Task.WhenAll(done);
    }

    public void Stop()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
    }

    private void ReceiveLoop(Socket socket, CancellationToken ct)
    {
        var query = Rent();
        var response = Rent();
        var remote = new SocketAddress(socket.AddressFamily);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = socket.ReceiveFrom(query, SocketFlags.None, remote);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize
                    or SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
                {
                    continue;
                }
                Interlocked.Increment(ref _stats._udpReceived);
                Interlocked.Increment(ref _stats._udpReceiveCalls);
                var request = DnsRequest.Create(query.AsMemory(0, n), DnsTransport.Udp, remote);
                ValueTask<int> pending;
                try
                {
                    pending = _handler.HandleAsync(request, response, ct);
                    if (pending.IsCompletedSuccessfully)
                    {
                        Send(socket, request, response, pending.Result, remote);
                        continue;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                {
                    // One bad datagram never ends the loop.
                    HandlerFailed(e);
                    continue;
                }
                var waiting = pending.AsTask();
                if (WaitedForIt(socket, waiting, request, response, remote))
                {
                    continue;
                }
                // Hand this loop's buffers to the pending query; carry on with fresh ones.
                _ = CompleteLaterAsync(socket, waiting, request, query, response, remote);
                query = Rent();
                response = Rent();
                remote = new SocketAddress(socket.AddressFamily);
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

    private void BatchReceiveLoop(Socket socket, CancellationToken ct)
    {
        var answerSize = Math.Max(512, (int)_options.MaxUdpPayload);
        using var batch = new DnsUdpBatch(_options.UdpBatchSize, BatchQuerySize, answerSize, RentQuery);
        // The handler writes into this scratch buffer (an answer may be larger than the client's limit before
        // truncation); what is sent is copied into the batch's answer slot.
        var scratch = Rent();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = batch.Receive(socket);
                }
                catch (SocketException e) when (!ct.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused
                    or SocketError.MessageSize or SocketError.NoBufferSpaceAvailable)
                {
                    continue;
                }
                if (n == 0)
                {
                    continue;
                }
                Interlocked.Add(ref _stats._udpReceived, n);
                Interlocked.Increment(ref _stats._udpReceiveCalls);
                for (var i = 0; i < n; i++)
                {
                    if (batch.WasTruncated(i))
                    {
                        // Longer than any sensible query: not read at all (a cut datagram would be misread).
                        Interlocked.Increment(ref _stats._dropped);
                        continue;
                    }
                    var remote = batch.Remote(i);
                    var request = DnsRequest.Create(batch.Query(i), DnsTransport.Udp, remote);
                    ValueTask<int> pending;
                    try
                    {
                        pending = _handler.HandleAsync(request, scratch, ct);
                        if (pending.IsCompletedSuccessfully)
                        {
                            var length = Finish(request, scratch, pending.Result);
                            if (length > 0)
                            {
                                scratch.AsSpan(0, length).CopyTo(batch.Answer(i));
                                batch.SetAnswerLength(i, length);
                            }
                            continue;
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                    {
                        HandlerFailed(e);
                        continue;
                    }
                    var waiting = pending.AsTask();
                    if (WaitedForIt(socket, waiting, request, scratch, remote))
                    {
                        continue;
                    }
                    // Waits for an upstream: the query, its address and the scratch buffer go with it; this loop
                    // carries on with new ones.
                    var (queryBuffer, queryRemote) = batch.TakeQuery(i);
                    _ = CompleteLaterAsync(socket, waiting, request, queryBuffer, scratch, queryRemote);
                    scratch = Rent();
                }
                batch.Send(socket, n);
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
            Return(scratch);
        }
    }

    /// <summary>
    /// Counts a query that waits for an upstream; past <see cref="MaxPending"/> the loop waits for it itself
    /// (back-pressure into the kernel buffer) and answers it: true when it did.
    /// </summary>
    private bool WaitedForIt(Socket socket, Task<int> pending, in DnsRequest request, byte[] response, SocketAddress remote)
    {
        if (Interlocked.Increment(ref _pending) <= MaxPending)
        {
            return false;
        }
        try
        {
            Send(socket, request, response, pending.GetAwaiter().GetResult(), remote);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            HandlerFailed(e);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
        return true;
    }

    private async Task CompleteLaterAsync(Socket socket, Task<int> pending, DnsRequest request, byte[] query, byte[] response, SocketAddress remote)
    {
        try
        {
            var length = await pending.ConfigureAwait(false);
            Send(socket, request, response, length, remote);
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

    // Batch query slots are pinned (the kernel writes into them through the native headers).
    private byte[] RentQuery() => _spareQueries.TryTake(out var b) ? b : GC.AllocateUninitializedArray<byte>(BatchQuerySize, pinned: true);

    private void Return(byte[] buffer)
    {
        var pool = buffer.Length == BatchQuerySize ? _spareQueries : _spare;
        if (pool.Count < MaxPending)
        {
            pool.Add(buffer);
        }
    }

    /// <summary>Truncates an answer to the client's limit, counts and logs it; returns the length to send (0: nothing).</summary>
    private int Finish(in DnsRequest request, byte[] response, int length)
    {
        if (length <= 0)
        {
            return 0;
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
        return length;
    }

    private void Send(Socket socket, DnsRequest request, byte[] response, int length, SocketAddress remote)
    {
        length = Finish(request, response, length);
        if (length == 0)
        {
            return;
        }
        try
        {
            // A datagram send does not wait for the peer; the synchronous call avoids the async machinery per answer.
            socket.SendTo(response.AsSpan(0, length), SocketFlags.None, remote);
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
