using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>Issue #13 item 2: oversized bodies to the anonymous join route cost the real server nothing.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class RequestLimitTests : IDisposable
{
    private const long BodySize = 25L * 1024 * 1024;
    private readonly TempDirectory _dir = new("appliance-limits");

    [Fact]
    public async Task Sixteen_parallel_25_MB_joins_are_each_refused_fast_with_413_and_the_server_stays_small()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Combine("data"), scheme: "http");
        var uri = new Uri(server.Url);
        // Warm up the paths the flood takes, so idle RSS already holds what any request needs.
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(uri, 1024, TimeSpan.FromSeconds(10));
            await SendAsync(uri, 1024 * 1024, TimeSpan.FromSeconds(10));
        }
        var idle = RssKiB(server.Pid);

        using var sampling = new CancellationTokenSource();
        var peak = idle;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, RssKiB(server.Pid));
                await Task.Delay(20);
            }
        });
        var stopwatch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => SendAsync(uri, BodySize, TimeSpan.FromSeconds(20))));
        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, RssKiB(server.Pid));

        foreach (var (head, sent, elapsed) in results)
        {
            Assert.StartsWith("HTTP/1.1 413", head, StringComparison.Ordinal);
            Assert.Contains("content-type: application/problem+json", head.ToLowerInvariant(), StringComparison.Ordinal);
            // Refused on the header: far less than the body went out before the answer came back.
            Assert.True(sent < BodySize / 2, $"{sent} of {BodySize} bytes were sent before the 413");
            // Prompt, not after the body: the bound is loose because 16 TLS handshakes share two loaded cores.
            Assert.True(elapsed < TimeSpan.FromSeconds(10), $"the 413 took {elapsed}");
        }
        Assert.True(peak - idle < 50 * 1024, $"RSS went from {idle} KiB idle to {peak} KiB under the flood ({stopwatch.Elapsed})");

        // Without a Content-Length (chunked), Kestrel cuts the body off at the route's limit while it is read.
        var (chunkedHead, chunkedSent, _) = await SendAsync(uri, BodySize, TimeSpan.FromSeconds(20), chunked: true);
        Assert.StartsWith("HTTP/1.1 413", chunkedHead, StringComparison.Ordinal);
        Assert.Contains("content-type: application/problem+json", chunkedHead.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.True(chunkedSent < BodySize / 2, $"{chunkedSent} of {BodySize} chunked bytes were sent before the 413");
    }

    /// <summary>
    /// Sends a join request declaring <paramref name="size"/> bytes of body and streams it while reading the answer;
    /// returns the answer's head, how much body went out before it, and how long it took.
    /// </summary>
    private static async Task<(string Head, long Sent, TimeSpan Elapsed)> SendAsync(Uri server, long size, TimeSpan timeout, bool chunked = false)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Host, server.Port, cts.Token);
        var stopwatch = Stopwatch.StartNew();
        var length = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {size.ToString(CultureInfo.InvariantCulture)}";
        var header = $"POST /api/v1/join HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\n{length}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(header), SocketFlags.None, cts.Token);
        long sent = 0;
        var answered = false;
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            var head = new StringBuilder();
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                if (head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Volatile.Write(ref answered, true);
            return head.ToString();
        });
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        try
        {
            while (sent < size && !Volatile.Read(ref answered))
            {
                var n = (int)Math.Min(chunk.Length, size - sent);
                if (chunked)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes(n.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), SocketFlags.None, cts.Token);
                }
                sent += await socket.SendAsync(chunk.AsMemory(0, n), SocketFlags.None, cts.Token);
                if (chunked)
                {
                    await socket.SendAsync("\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
                }
            }
        }
        catch (SocketException)
        {
            // The server answered and closed: the rest of the body has nowhere to go, which is the point.
        }
        var text = await reader;
        return (text, sent, stopwatch.Elapsed);
    }

    private static long RssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
    }

    public void Dispose() => _dir.Dispose();
}
