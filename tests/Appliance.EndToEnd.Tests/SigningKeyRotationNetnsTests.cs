using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// Real agents follow a signing-key rotation: one running (it takes the announcement over MQTT), one stopped during
/// the rotation (it catches up when it starts again); both then apply a change signed by the new key. The server and
/// the agents (wireguard-go) in namespaces of their own, as in <see cref="MeshNetnsTests"/>.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class SigningKeyRotationNetnsTests : IAsyncLifetime
{
    private MeshLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("rot");
        await _lab.CreateUnderlayAsync();
        foreach (var n in new[] { "s", "a", "b" })
        {
            await _lab.AddHostAsync(n);
        }
    }

    private async Task<string?> HeldKeyAsync(string n)
    {
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_lab.Dir.Combine("state-" + n), "state.json")));
        return state.RootElement.GetProperty("signingKey").GetString();
    }

    [Fact]
    public async Task A_running_agent_and_one_that_was_stopped_both_follow_a_rotation()
    {
        await _lab.StartServerAsync();
        (await _lab.Cli("network", "create", "rot", "--ipv4", "10.79.0.0/24")).EnsureSuccess("network create");
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>((await _lab.Cli("key", "create", "--network", "rot", "--json")).EnsureSuccess("key create").StdOut, MeshLab.Json)!;
        foreach (var n in new[] { "a", "b" })
        {
            await _lab.JoinAsync(n, key.Token!);
            _lab.StartAgent(n);
        }
        await _lab.WaitForAsync("a to ping b over the mesh", () => _lab.PingAsync("a", "10.79.0.2"), TimeSpan.FromSeconds(40));
        var oldKey = await HeldKeyAsync("a");

        // b is away during the rotation.
        await _lab.Agents["b"].StopAsync();
        var rotated = JsonSerializer.Deserialize<SigningKeyDto>((await _lab.Cli("signing-key", "rotate", "--json")).EnsureSuccess("signing-key rotate").StdOut, MeshLab.Json)!;
        Assert.NotEqual(oldKey, rotated.PublicKey);
        await _lab.WaitForAsync("a to take the new key", async () => await HeldKeyAsync("a") == rotated.PublicKey, TimeSpan.FromSeconds(20));
        Assert.Equal(oldKey, await HeldKeyAsync("b"));

        // A change signed by the new key: a follows it at once, b when it is back.
        var nodes = JsonSerializer.Deserialize<List<NodeDto>>((await _lab.Cli("node", "list", "--json")).EnsureSuccess("node list").StdOut, MeshLab.Json)!;
        var a = nodes.Single(x => x.Name == "a");
        (await _lab.Cli("node", "update", a.Id, "--listen-port", "51998")).EnsureSuccess("node update");
        await _lab.WaitForAsync("a to listen on its new port", async () => (await _lab.WgDumpAsync("a")).Split('\n')[0].Contains("\t51998\t", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        _lab.StartAgent("b");
        await _lab.WaitForAsync("b to take the new key", async () => await HeldKeyAsync("b") == rotated.PublicKey, TimeSpan.FromSeconds(45));
        await _lab.WaitForAsync("b to follow a's new port", async () => (await _lab.WgDumpAsync("b")).Contains(":51998", StringComparison.Ordinal), TimeSpan.FromSeconds(45));
        await _lab.WaitForAsync("b to ping a again", () => _lab.PingAsync("b", "10.79.0.1"), TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
