using Appliance.Agent;
using Appliance.Agent.Commands;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class StateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-state");

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void State_is_private_round_trips_and_leaves_no_temp_files()
    {
        var store = new StateStore(Path.Combine(_dir.Path, "nested"));
        var state = JoinCommandTests.SampleState();
        store.SaveState(state);
        store.SaveState(state with { Name = "renamed" });
        Assert.Equal("renamed", store.LoadState()!.Name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.StatePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(["state.json"], Directory.GetFiles(store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Damaged_state_is_reported_with_its_path()
    {
        var store = new StateStore(_dir.Path);
        File.WriteAllText(store.StatePath, "{ not json");
        var e = Assert.Throws<AgentException>(store.LoadState);
        Assert.Contains(store.StatePath, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Status_never_shows_secrets()
    {
        var store = new StateStore(_dir.Path);
        var state = JoinCommandTests.SampleState();
        store.SaveState(state);
        foreach (var json in new[] { true, false })
        {
            var w = new StringWriter();
            StatusCommand.Print(StatusCommand.Read(store), json, w);
            var text = w.ToString();
            Assert.Contains(state.PublicKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(state.PrivateKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(state.Credential, text, StringComparison.Ordinal);
        }
        var empty = new StringWriter();
        StatusCommand.Print(StatusCommand.Read(new StateStore(Path.Combine(_dir.Path, "none"))), true, empty);
        Assert.Contains("\"joined\": false", empty.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// desired.json goes through the device's wire context with an indenting writer (one serializer in the binary):
    /// it stays indented for people, keeps every field, and a file in the earlier layout (camelCase, nulls left out,
    /// written by the agent's own context) still loads.
    /// </summary>
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Desired_state_is_indented_round_trips_and_reads_the_earlier_layout()
    {
        var store = new StateStore(_dir.Path);
        var config = new NodeConfigDto("n1", "a", 7, new NodeInterfaceDto("home", ["10.0.0.1/24"], 51821, 1420, Relay: true),
            [new PeerDto("n2", "b", "key-b", ["10.0.0.2/32"], "192.0.2.1:51821", ["192.0.2.1:51821"], 20)],
            Dns: new MeshDnsDto { Zone = "home", Records = [new DnsRecordDto("x", "A", "10.0.0.9")] }, Epoch: "e", ServerId: "s");
        store.SaveDesired(config);
        var text = File.ReadAllText(store.DesiredPath);
        Assert.StartsWith("{\n  \"nodeId\": \"n1\",", text, StringComparison.Ordinal);
        Assert.DoesNotContain("null", text, StringComparison.Ordinal);
        var back = store.LoadDesired()!;
        Assert.Equal(IndentedJson.Serialize(config, DeviceJsonContext.Default.NodeConfigDto), IndentedJson.Serialize(back, DeviceJsonContext.Default.NodeConfigDto));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.DesiredPath));

        File.WriteAllText(store.DesiredPath, """
            {
              "nodeId": "n1", "name": "a", "version": 7,
              "interface": { "network": "home", "addresses": [ "10.0.0.1/24" ], "listenPort": 51821, "mtu": 1420 },
              "peers": [ { "nodeId": "n2", "name": "b", "publicKey": "key-b", "allowedIps": [ "10.0.0.2/32" ], "endpoints": [], "persistentKeepalive": 20 } ],
              "epoch": "e"
            }
            """);
        var earlier = store.LoadDesired()!;
        Assert.Equal(("n1", 7L, "home", "key-b", "e"), (earlier.NodeId, earlier.Version, earlier.Interface.Network, earlier.Peers[0].PublicKey, earlier.Epoch));
    }

    public void Dispose() => _dir.Dispose();
}
