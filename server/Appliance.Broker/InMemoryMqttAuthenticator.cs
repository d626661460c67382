using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Broker;

/// <summary>A user-name/password table held in memory: for tests and for a server's internal client.</summary>
public sealed class InMemoryMqttAuthenticator : IMqttAuthenticator
{
    private readonly ConcurrentDictionary<string, Entry> _users = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a user. When <paramref name="clientId"/> is set, that user may connect only with that client id.</summary>
    public void Set(string userName, string password, MqttTopicAcl acl, string? clientId = null)
        => _users[userName] = new Entry(SHA256.HashData(Encoding.UTF8.GetBytes(password)), acl, clientId);

    public bool Remove(string userName) => _users.TryRemove(userName, out _);

    public ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken)
    {
        if (userName is null || password is null || !_users.TryGetValue(userName, out var entry))
        {
            return ValueTask.FromResult(MqttAuthResult.Deny("unknown user"));
        }
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        if (!CryptographicOperations.FixedTimeEquals(given, entry.PasswordHash))
        {
            return ValueTask.FromResult(MqttAuthResult.Deny("bad password"));
        }
        if (entry.ClientId is not null && entry.ClientId != clientId)
        {
            return ValueTask.FromResult(MqttAuthResult.Deny("client id not bound to this user"));
        }
        return ValueTask.FromResult(MqttAuthResult.Allow(new MqttPrincipal(userName, entry.Acl)));
    }

    private sealed record Entry(byte[] PasswordHash, MqttTopicAcl Acl, string? ClientId);
}
