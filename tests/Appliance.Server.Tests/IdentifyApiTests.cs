using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// POST /api/v1/nodes/{id}/identify (issue #17): an admin makes a node's LED blink; the command goes to that node
/// only, signed with the server's signing key, and a bad request sends nothing.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class IdentifyApiTests : IDisposable
{
    private readonly FakeMeshBus _bus = new();
    private readonly ServerFactory _server;

    public IdentifyApiTests()
    {
        _server = new ServerFactory { TestServices = s => s.AddSingleton<IMeshBus>(_bus) };
    }

    private async Task<JoinResponse> NodeAsync()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        return await _server.JoinAsync(await _server.CreateKeyAsync("home"), "box");
    }

    /// <summary>The next command published, skipping mesh updates.</summary>
    private async Task<(string Topic, byte[] Payload, MqttQos Qos, bool Retain)> NextCommandAsync()
    {
        while (true)
        {
            var m = await _bus.NextPublishedAsync();
            if (m.Topic.EndsWith("/command", StringComparison.Ordinal))
            {
                return m;
            }
        }
    }

    [Fact]
    public async Task Identify_sends_the_node_a_signed_command_for_30_s_by_default()
    {
        var node = await NodeAsync();
        var before = DateTimeOffset.UtcNow;
        var r = await _server.Admin().PostAsync($"/api/v1/nodes/{node.NodeId}/identify", null);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var dto = (await r.Content.ReadFromJsonAsync<IdentifyDto>())!;
        Assert.Equal((node.NodeId, 30), (dto.NodeId, dto.Seconds));

        var (topic, payload, qos, retain) = await NextCommandAsync();
        Assert.Equal((MeshTopics.Commands(node.NodeId), MqttQos.AtLeastOnce, false), (topic, qos, retain));
        Assert.True(SignedEnvelope.TryOpen(payload, Convert.FromBase64String(node.SigningKey!), out var json, out var error), error);
        var command = JsonSerializer.Deserialize(json, ApplianceJsonContext.Default.NodeCommand)!;
        Assert.Equal((NodeCommand.IdentifyKind, node.NodeId, 30), (command.Kind, command.NodeId, command.Seconds));
        Assert.Equal(32, command.Id.Length);
        Assert.InRange(command.IssuedAt, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Seconds_come_from_the_body()
    {
        var node = await NodeAsync();
        var r = await _server.Admin().PostAsJsonAsync($"/api/v1/nodes/{node.NodeId}/identify", new IdentifyRequest { Seconds = 90 });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var (_, payload, _, _) = await NextCommandAsync();
        SignedEnvelope.TryOpen(payload, Convert.FromBase64String(node.SigningKey!), out var json, out _);
        Assert.Equal(90, JsonSerializer.Deserialize(json, ApplianceJsonContext.Default.NodeCommand)!.Seconds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3601)]
    [InlineData(int.MaxValue)]
    public async Task Seconds_out_of_range_are_refused_naming_the_field_and_nothing_is_sent(int seconds)
    {
        var node = await NodeAsync();
        var r = await _server.Admin().PostAsJsonAsync($"/api/v1/nodes/{node.NodeId}/identify", new IdentifyRequest { Seconds = seconds });
        var problem = await Http.ProblemAsync(r, 400);
        Assert.Contains("seconds", problem.Errors!.Keys);
        await Task.Delay(100);
        Assert.False(_bus.TryTakeCommand(out var sent), $"sent {sent}");
    }

    [Fact]
    public async Task An_unknown_node_is_404_and_nothing_is_sent()
    {
        await NodeAsync();
        var r = await _server.Admin().PostAsync("/api/v1/nodes/nope/identify", null);
        await Http.ProblemAsync(r, 404);
        await Task.Delay(100);
        Assert.False(_bus.TryTakeCommand(out var sent), $"sent {sent}");
    }

    [Fact]
    public async Task A_node_credential_cannot_identify_nodes_only_the_admin_token_can()
    {
        var node = await NodeAsync();
        var asNode = await _server.As(node.Credential).PostAsync($"/api/v1/nodes/{node.NodeId}/identify", null);
        Assert.True(asNode.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, asNode.StatusCode.ToString());
        var anonymous = await _server.CreateClient().PostAsync($"/api/v1/nodes/{node.NodeId}/identify", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.False(_bus.TryTakeCommand(out var sent), $"sent {sent}");
    }

    public void Dispose() => _server.Dispose();
}
