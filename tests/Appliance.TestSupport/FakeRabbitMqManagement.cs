using System.Collections.Concurrent;
using Appliance.Server.Mqtt;

namespace Appliance.TestSupport;

/// <summary>
/// The fake of <see cref="IRabbitMqManagement"/>: a cluster's users, permissions and policies in memory, with the
/// calls made, so a test sees what the server provisioned without a RabbitMQ.
/// </summary>
public sealed class FakeRabbitMqManagement : IRabbitMqManagement
{
    private readonly ConcurrentDictionary<string, (string Password, string Tags)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _usersHeld;

    /// <summary>Permissions by (vhost, user).</summary>
    public ConcurrentDictionary<(string VHost, string User), RabbitMqPermissions> Permissions { get; } = new();

    /// <summary>Queue policies by (vhost, name): the pattern and the definition.</summary>
    public ConcurrentDictionary<(string VHost, string Name), (string Pattern, IReadOnlyDictionary<string, object> Definition)> Policies { get; } = new();

    /// <summary>While set, every call fails as with no node answering.</summary>
    public bool Down { get; set; }

    /// <summary>The calls so far, as "PUT user x", "DELETE user x", ... oldest first.</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    public IReadOnlyCollection<string> UserNames => [.. _users.Keys];

    public string? PasswordOf(string user) => _users.TryGetValue(user, out var u) ? u.Password : null;

    /// <summary>A user someone else made (an operator, another application), as the cluster would hold it.</summary>
    public void AddForeignUser(string name, string tags = "") => _users[name] = ("foreign", tags);

    public Task PutUserAsync(string name, string password, string tags, CancellationToken cancellationToken)
    {
        Call($"PUT user {name}");
        _users[name] = (password, tags);
        return Task.CompletedTask;
    }

    public Task<bool> DeleteUserAsync(string name, CancellationToken cancellationToken)
    {
        Call($"DELETE user {name}");
        foreach (var key in Permissions.Keys.Where(k => k.User == name))
        {
            Permissions.TryRemove(key, out _);
        }
        return Task.FromResult(_users.TryRemove(name, out _));
    }

    public Task<IReadOnlyList<RabbitMqUser>> ListUsersAsync(CancellationToken cancellationToken)
    {
        Call("GET users");
        IReadOnlyList<RabbitMqUser> users = [.. _users.Select(u => new RabbitMqUser(u.Key, u.Value.Tags.Split(',', StringSplitOptions.RemoveEmptyEntries)))];
        return Task.FromResult(users);
    }

    public Task PutPermissionsAsync(string vhost, string user, RabbitMqPermissions permissions, CancellationToken cancellationToken)
    {
        Call($"PUT permissions {user}");
        Permissions[(vhost, user)] = permissions;
        return Task.CompletedTask;
    }

    /// <summary>While set, <see cref="PutUserWithPermissionsAsync"/> waits for it before it makes the user (to hold joins in flight).</summary>
    public TaskCompletionSource? HoldUsers { get; set; }

    /// <summary>How many <see cref="PutUserWithPermissionsAsync"/> calls are waiting on <see cref="HoldUsers"/> now.</summary>
    public int UsersHeld => Volatile.Read(ref _usersHeld);

    public async Task PutUserWithPermissionsAsync(string vhost, string name, string password, string tags, RabbitMqPermissions permissions, CancellationToken cancellationToken)
    {
        Call($"PUT user {name} with permissions");
        if (HoldUsers is { } hold)
        {
            Interlocked.Increment(ref _usersHeld);
            try
            {
                await hold.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _usersHeld);
            }
        }
        _users[name] = (password, tags);
        Permissions[(vhost, name)] = permissions;
    }

    public Task<IReadOnlyDictionary<string, RabbitMqPermissions>> ListPermissionsAsync(string vhost, CancellationToken cancellationToken)
    {
        Call("GET permissions");
        IReadOnlyDictionary<string, RabbitMqPermissions> held = Permissions.Where(p => p.Key.VHost == vhost).ToDictionary(p => p.Key.User, p => p.Value, StringComparer.Ordinal);
        return Task.FromResult(held);
    }

    public Task PutQueuePolicyAsync(string vhost, string name, string pattern, IReadOnlyDictionary<string, object> definition, CancellationToken cancellationToken)
    {
        Call($"PUT policy {name}");
        Policies[(vhost, name)] = (pattern, definition);
        return Task.CompletedTask;
    }

    private void Call(string what)
    {
        if (Down)
        {
            throw new RabbitMqManagementException("no RabbitMQ management API answered (fake: down)");
        }
        _calls.Enqueue(what);
    }
}
