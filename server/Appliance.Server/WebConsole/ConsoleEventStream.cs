using System.Text.Json;
using Appliance.Contracts;
using Appliance.Server.Api;
using Appliance.Server.Domain;
using Appliance.Server.Security;
using Appliance.Server.Services;

namespace Appliance.Server.WebConsole;

/// <summary>
/// GET /console/events/{network}: server-sent events (text/event-stream) for the nodes page. <c>node</c> carries a
/// node as the API shows it (after a status report, a call home, a join or a change), <c>removed</c> its id,
/// <c>resync</c> asks the page to reload the list. A comment line every <see cref="Heartbeat"/> keeps proxies from
/// closing the stream; the stream ends when the session does.
/// </summary>
public static class ConsoleEventStream
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task RunAsync(string network, HttpContext http, NodeStatusFeed feed, NodeService nodes, ConsoleSessions sessions,
        IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        // A network that does not exist is a 404 problem, before the stream starts.
        await nodes.ListAsync(network, ct);
        using var subscription = feed.Subscribe(network);
        if (subscription is null)
        {
            await TooManyRequests.WriteAsync(http, Heartbeat, $"{NodeStatusFeed.MaxSubscribers} pages already follow live status");
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        var token = linked.Token;
        var sessionId = (http.Items[ConsoleCookieHandler.SessionItem] as ConsoleSession)?.Id;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync(": following " + network + "\n\n", token);
        await http.Response.Body.FlushAsync(token);
        var reader = subscription.Events;
        try
        {
            while (!token.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(token);
                beat.CancelAfter(Heartbeat);
                NodeStatusEvent e;
                try
                {
                    e = await reader.ReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    if (sessionId is not null && sessions.Find(sessionId) is null)
                    {
                        return; // signed out (or timed out) elsewhere: stop telling this page anything
                    }
                    await http.Response.WriteAsync(": beat\n\n", token);
                    await http.Response.Body.FlushAsync(token);
                    continue;
                }
                await http.Response.WriteAsync(await FrameAsync(e, nodes, token), token);
                await http.Response.Body.FlushAsync(token);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away or the server stops.
        }
    }

    private static async Task<string> FrameAsync(NodeStatusEvent e, NodeService nodes, CancellationToken ct)
    {
        if (e.Kind == NodeStatusEventKind.Resync || e.NodeId is null)
        {
            return "event: resync\ndata: {}\n\n";
        }
        if (e.Kind != NodeStatusEventKind.NodeRemoved)
        {
            try
            {
                var node = await nodes.GetAsync(e.NodeId, ct);
                return "event: node\ndata: " + JsonSerializer.Serialize(node, ApplianceJsonContext.Default.NodeDto) + "\n\n";
            }
            catch (DomainException de) when (de.Kind == DomainErrorKind.NotFound)
            {
                // Gone between the event and now: tell the page it was removed.
            }
        }
        return "event: removed\ndata: " + JsonSerializer.Serialize(e.NodeId, ApplianceJsonContext.Default.String) + "\n\n";
    }
}
