using Appliance.Agent;
using Appliance.Agent.Commands;
using Appliance.Agent.State;
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

    public void Dispose() => _dir.Dispose();
}
