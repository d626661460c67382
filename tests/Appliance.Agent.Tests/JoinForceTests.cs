using System.Net;
using System.Text.Json;
using Appliance.Agent.Commands;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>`join --force` over an earlier membership: the new identity starts from no desired state.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class JoinForceTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-join-force");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Join_force_leaves_nothing_of_the_earlier_memberships_desired_state()
    {
        var store = new StateStore(_dir.Path);
        store.SaveState(JoinCommandTests.SampleState());
        store.SaveDesired(new NodeConfigDto("n1", "dev", 41, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420),
            [new PeerDto("old", "old", "zELrwNGE5V6gOwMKJiLXJsMWlp4ZRPOEbRjQFzRCOF0=", ["10.10.0.9/32"], null, [], 20)], Epoch: "e-old", ServerId: "s1"));

        var (listener, port, serve) = ServeOneJoin(new JoinResponse("n2", "dev", "apn.n2.secret", "10.20.0.5", null, 51821,
            new NetworkSettingsDto("work", "10.20.0.0/24", null, 51821, 1420, 20), null, Convert.ToBase64String(new byte[32])));
        using var _ = listener;
        var token = new JoinToken($"http://127.0.0.1:{port}", "apk.x", null).Encode();
        await JoinCommand.RunAsync(new JoinCommand.Options(token, _dir.Path, "appliance0", "dev", null, ["192.0.2.7"], null, Force: true), TimeProvider.System, TextWriter.Null, default);
        await serve;

        Assert.Equal(("n2", "work"), (store.LoadState()!.NodeId, store.LoadState()!.Network.Name));
        Assert.Null(store.LoadDesired());
        Assert.False(File.Exists(store.DesiredPath));
    }

    [Fact]
    public async Task Join_with_server_reaches_the_server_there_and_keeps_it_in_the_state()
    {
        // The token names an address where nothing listens (port 9); --server names where the server really is.
        var (listener, port, serve) = ServeOneJoin(new JoinResponse("n3", "box", "apn.n3.secret", "10.30.0.5", null, 51821,
            new NetworkSettingsDto("site", "10.30.0.0/24", null, 51821, 1420, 20), null, Convert.ToBase64String(new byte[32])));
        using var _ = listener;
        var token = new JoinToken("http://127.0.0.1:9", "apk.x", null).Encode();
        await JoinCommand.RunAsync(new JoinCommand.Options(token, _dir.Path, "appliance0", "box", null, ["192.0.2.7"], null, Force: false,
            Server: $"http://127.0.0.1:{port}/"), TimeProvider.System, TextWriter.Null, default);
        await serve;

        var state = new StateStore(_dir.Path).LoadState()!;
        Assert.Equal(("n3", $"http://127.0.0.1:{port}"), (state.NodeId, state.Server));
    }

    /// <summary>
    /// A plain-http join server on loopback (as a server started with an http:// URL answers): answers one
    /// POST /api/v1/join with <paramref name="response"/>, then its task completes. The caller disposes the listener.
    /// </summary>
    private static (HttpListener Listener, int Port, Task Served) ServeOneJoin(JoinResponse response)
    {
        var port = Binaries.FreeTcpPort();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var served = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            Assert.Equal("/api/v1/join", context.Request.Url!.AbsolutePath);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(response, ApplianceJsonContext.Default.JoinResponse));
            context.Response.Close();
        });
        return (listener, port, served);
    }
}
