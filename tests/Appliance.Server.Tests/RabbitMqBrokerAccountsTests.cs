using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// What the server provisions on a RabbitMQ cluster (<c>Mqtt:Broker=rabbitmq</c>), seen through the fake management
/// API: users and permissions at join, removal at delete, and a reconcile at start that is idempotent and removes
/// only the server's own node users.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class RabbitMqBrokerAccountsTests : IDisposable
{
    private readonly TempDirectory _dir = new("rabbit-accounts");
    private readonly FakeRabbitMqManagement _api = new();
    private ServerFactory? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }

    private ServerFactory Start()
    {
        _server?.Dispose();
        _server = new ServerFactory(_dir.Combine("data"), settings: new Dictionary<string, string?>
        {
            ["Mqtt:Broker"] = "rabbitmq",
            // Nothing listens there: this test looks at provisioning only; the bus keeps retrying in the background.
            ["Mqtt:RabbitMq:Urls"] = "mqtt://127.0.0.1:9,mqtt://127.0.0.2:9",
            ["Mqtt:RabbitMq:ManagementUrls"] = "http://127.0.0.1:9",
            ["Mqtt:RabbitMq:AdminUser"] = "admin",
            ["Mqtt:RabbitMq:AdminPassword"] = "admin-secret",
        })
        {
            TestServices = s => s.AddSingleton<IRabbitMqManagement>(_api),
        };
        _ = _server.Services.GetRequiredService<IMeshBus>();
        return _server;
    }

    [Fact]
    public async Task Join_provisions_delete_removes_and_a_restart_reprovisions_only_what_is_ours()
    {
        var server = Start();
        await Wait.UntilAsync(() => _api.UserNames.Contains(RabbitMqSettings.DefaultUser), "the server provisions its own user at start");
        Assert.Equal("^mqtt-subscription-", _api.Policies[("/", RabbitMqBrokerAccounts.SessionPolicy)].Pattern);
        // Each session queue on two nodes (one mirror), kept in step: it survives one node's loss.
        var policy = _api.Policies[("/", RabbitMqBrokerAccounts.SessionPolicy)].Definition;
        Assert.Equal<object>("exactly", policy["ha-mode"]);
        Assert.Equal<object>(2, policy["ha-params"]);
        Assert.Equal<object>("automatic", policy["ha-sync-mode"]);
        Assert.Equal(RabbitMqAcl.For(RabbitMqSettings.DefaultUser, MeshBrokerAcl.ForServer(), replicas: true), _api.Permissions[("/", RabbitMqSettings.DefaultUser)]);

        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        var b = await server.JoinAsync(key, "b");
        Assert.Equal(a.Credential, _api.PasswordOf(a.NodeId));
        Assert.Equal(RabbitMqAcl.For(a.NodeId, MeshBrokerAcl.ForNode(a.NodeId, ["home"])), _api.Permissions[("/", a.NodeId)]);
        Assert.Equal(["mqtt://127.0.0.1:9", "mqtt://127.0.0.2:9"], a.MqttUrls!);
        Assert.Equal("mqtt://127.0.0.1:9", a.MqttUrl);

        using (var admin = server.Admin())
        {
            await Http.EnsureAsync(await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}"));
        }
        Assert.DoesNotContain(a.NodeId, _api.UserNames);
        Assert.Contains(b.NodeId, _api.UserNames);

        // Behind the server's back: an operator's user, a stale node user of ours, and B's permissions lost.
        _api.AddForeignUser("monitoring", "monitoring");
        _api.AddForeignUser("0123456789abcdef0123456789abcdef", "");
        _api.AddForeignUser("fedcba9876543210fedcba9876543210", RabbitMqBrokerAccounts.NodeTag);
        _api.Permissions.TryRemove(("/", b.NodeId), out _);
        var password = _api.PasswordOf(RabbitMqSettings.DefaultUser);

        server = Start();
        await Wait.UntilAsync(() => _api.Permissions.ContainsKey(("/", b.NodeId)), "the restart sets B's permissions again");
        Assert.DoesNotContain("fedcba9876543210fedcba9876543210", _api.UserNames);
        Assert.Contains("monitoring", _api.UserNames);
        // Untagged: maybe an operator's, so never removed even though it looks like a node id.
        Assert.Contains("0123456789abcdef0123456789abcdef", _api.UserNames);
        // B's password was never rewritten (the server cannot know it after the join); its own is the same secret.
        Assert.Equal(b.Credential, _api.PasswordOf(b.NodeId));
        Assert.Equal(password, _api.PasswordOf(RabbitMqSettings.DefaultUser));
        Assert.Equal(1, _api.Calls.Count(c => c == $"PUT user {b.NodeId} with permissions"));
        Assert.DoesNotContain($"PUT user {b.NodeId}", _api.Calls);
        Assert.Equal(1, _api.Calls.Count(c => c == $"PUT permissions {b.NodeId}"));

        // Nothing changed: a reconcile reads every user's permissions in one listing and puts none of the nodes' again.
        var callsBefore = _api.Calls.Count;
        await server.Services.GetRequiredService<RabbitMqBrokerAccounts>().ReconcileAsync(CancellationToken.None);
        Assert.Contains("GET permissions", _api.Calls.Skip(callsBefore));
        Assert.DoesNotContain($"PUT permissions {b.NodeId}", _api.Calls.Skip(callsBefore));
    }

    [Fact]
    public async Task Joins_make_their_users_concurrently_and_each_answers_once_its_user_is_made()
    {
        var server = Start();
        await Wait.UntilAsync(() => _api.UserNames.Contains(RabbitMqSettings.DefaultUser), "the server provisions its own user at start");
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home", uses: 4);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _api.HoldUsers = hold;
        var joins = Enumerable.Range(0, 4).Select(i => server.JoinAsync(key, $"n{i}")).ToList();
        // All four are at the management API at once (one at a time before: 2-3 calls each, in turn, per replica).
        await Wait.UntilAsync(() => _api.UsersHeld == 4, "four joins making their users at the same time");
        Assert.All(joins, j => Assert.False(j.IsCompleted));
        hold.SetResult();
        foreach (var joined in await Task.WhenAll(joins))
        {
            Assert.Equal(joined.Credential, _api.PasswordOf(joined.NodeId));
            Assert.Equal(RabbitMqAcl.For(joined.NodeId, MeshBrokerAcl.ForNode(joined.NodeId, ["home"])), _api.Permissions[("/", joined.NodeId)]);
        }
    }

    [Fact]
    public async Task A_join_whose_broker_user_cannot_be_made_is_taken_back()
    {
        var server = Start();
        await Wait.UntilAsync(() => _api.UserNames.Contains(RabbitMqSettings.DefaultUser), "the server provisions its own user at start");
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        _api.Down = true;
        using (var r = await server.JoinRawAsync(key, "a"))
        {
            Assert.Equal(500, (int)r.StatusCode);
        }
        _api.Down = false;
        // No node is left that could never log in to the broker; once the cluster answers, joining works.
        Assert.Empty(await server.Store.ReadAsync(s => s.ListNodes(null)));
        var a = await server.JoinAsync(key, "a");
        Assert.Equal(a.Credential, _api.PasswordOf(a.NodeId));
    }
}
