using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// The Ed25519 key that signs what the server pushes (signing.key in the data dir, 0600) and the chain of keys the
/// store knows. At start the file must hold the store's last key whenever a node exists (every node verifies with it):
/// a missing or different file stops the server instead of silently making a key no node accepts. A rotation makes a
/// new key, seals its announcement with the old one and records both before the file is replaced; the old key signs
/// nothing after that.
/// </summary>
public sealed class SigningKeyRing
{
    public const string FileName = "signing.key";
    // A rotation writes the new key here first; it replaces signing.key once the store has recorded it.
    private const string PendingSuffix = ".new";

    private readonly string _path;
    // With a shared store (PostgreSQL) the private key lives there too, so every server signs with the chain's last key.
    private readonly bool _keyInStore;
    private readonly SemaphoreSlim _rotating = new(1, 1);
    private volatile State _state;

    private sealed record State(byte[] PrivateKey, SigningKeyRecord Current);

    private SigningKeyRing(string path, State state, bool keyInStore)
    {
        _path = path;
        _state = state;
        _keyInStore = keyInStore;
    }

    /// <summary>The private key in use.</summary>
    internal byte[] PrivateKey => _state.PrivateKey;

    /// <summary>The key in use (public half, base64) and its place in the chain.</summary>
    public SigningKeyRecord Current => _state.Current;

    /// <summary>Loads signing.key and checks it against the store (or makes the first key when no node knows one).</summary>
    /// <exception cref="InvalidOperationException">The file is missing, damaged or not the key the store's nodes know.</exception>
    /// <param name="keyInStore">The store keeps the private key too (<see cref="SharedSecrets"/>): a rotation records it there.</param>
    public static SigningKeyRing Open(string dataDir, IApplianceStore store, DateTimeOffset now, bool keyInStore = false)
    {
        var path = Path.Combine(dataDir, FileName);
        var (chain, anyNodes) = store.ReadAsync(s => (s.ListSigningKeys(), s.AnyNodes())).GetAwaiter().GetResult();
        var known = chain.Count > 0 ? chain[^1] : null;
        FinishPendingRotation(path, known);
        if (!File.Exists(path))
        {
            if (anyNodes)
            {
                throw new InvalidOperationException(
                    $"the signing key file {path} is missing, but this server has nodes that verify its updates with key {known?.PublicKey ?? "(not recorded)"}; " +
                    "restore signing.key from a backup of this data dir (a new key would make every node refuse the server's updates)");
            }
            var fresh = Ed25519.GeneratePrivateKey();
            AtomicFile.Write(path, Convert.ToBase64String(fresh) + "\n", secret: true);
            return new SigningKeyRing(path, new State(fresh, Restart(store, fresh, now)), keyInStore);
        }
        var key = ReadKey(path);
        var publicKey = PublicKeyOf(key);
        if (known is not null && known.PublicKey == publicKey)
        {
            return new SigningKeyRing(path, new State(key, known), keyInStore);
        }
        if (known is not null && anyNodes)
        {
            throw new InvalidOperationException(
                $"the signing key file {path} holds key {publicKey}, but this server's nodes verify its updates with key {known.PublicKey} (recorded in the store); " +
                "restore the signing.key that belongs to this database (a different key would make every node refuse the server's updates)");
        }
        // No key recorded yet (a store from before the chain existed), or no node knows the recorded one.
        return new SigningKeyRing(path, new State(key, Restart(store, key, now)), keyInStore);
    }

    /// <summary>
    /// Makes a new key and its announcement, sealed by the current key: written to signing.key.new, recorded in the
    /// store, then moved over signing.key. Returns the announcement (a signed message for every node) and the new key.
    /// </summary>
    public async Task<(byte[] Announcement, byte[] PrivateKey, SigningKeyRecord Record)> RotateAsync(IApplianceStore store, string serverId, DateTimeOffset now, CancellationToken ct)
    {
        await _rotating.WaitAsync(ct);
        try
        {
            // Another replica may have rotated since: the new key follows the chain's last one, not a stale one.
            await AdoptLatestLockedAsync(store, ct);
            var old = _state;
            var next = Ed25519.GeneratePrivateKey();
            var nextPublic = PublicKeyOf(next);
            var announcement = SignedEnvelope.Seal(old.PrivateKey, JsonSerializer.SerializeToUtf8Bytes(new MeshUpdate
            {
                Kind = MeshUpdate.SigningKeyKind,
                NodeId = MeshUpdate.AnyMember,
                Name = string.Empty,
                ToVersion = 0,
                IssuedAt = now,
                ServerId = serverId,
                NextSigningKey = nextPublic,
            }, ApplianceJsonContext.Default.MeshUpdate));
            var record = new SigningKeyRecord(old.Current.Sequence + 1, nextPublic, announcement, now);
            // Crash-safe order: a crash before the store commits leaves signing.key.new, which the next start drops;
            // a crash after it leaves the store ahead of signing.key, which the next start completes from the .new file.
            var pending = _path + PendingSuffix;
            AtomicFile.Write(pending, Convert.ToBase64String(next) + "\n", secret: true);
            await store.WriteAsync(s =>
            {
                s.InsertSigningKey(record);
                if (_keyInStore)
                {
                    s.SetSetting(SharedSecrets.SigningKeySetting, Convert.ToBase64String(next));
                }
                return 0;
            }, ct);
            File.Move(pending, _path, overwrite: true);
            _state = new State(next, record);
            return (announcement, next, record);
        }
        finally
        {
            _rotating.Release();
        }
    }

    /// <summary>
    /// Takes the chain's last key from a shared store when another server rotated it (PostgreSQL replicas): this
    /// server then signs with it and shows it, without a restart. True when the key changed. Nothing with a store of
    /// this server's own, or when the store's private key is not the chain's last public key (a rotation of a server
    /// of another version, say): the key in use stays, and the next start checks the store.
    /// </summary>
    public async Task<bool> AdoptLatestAsync(IApplianceStore store, CancellationToken ct)
    {
        await _rotating.WaitAsync(ct);
        try
        {
            return await AdoptLatestLockedAsync(store, ct);
        }
        finally
        {
            _rotating.Release();
        }
    }

    private async Task<bool> AdoptLatestLockedAsync(IApplianceStore store, CancellationToken ct)
    {
        if (!_keyInStore)
        {
            return false;
        }
        var (last, secret) = await store.ReadAsync(s => (s.ListSigningKeys() is { Count: > 0 } keys ? keys[^1] : null, s.GetSetting(SharedSecrets.SigningKeySetting)), ct);
        if (last is null || last.Sequence <= _state.Current.Sequence || secret is null)
        {
            return false;
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret);
        }
        catch (FormatException)
        {
            return false;
        }
        if (key.Length != Ed25519.PrivateKeySize || PublicKeyOf(key) != last.PublicKey)
        {
            return false;
        }
        AtomicFile.Write(_path, secret + "\n", secret: true);
        _state = new State(key, last);
        return true;
    }

    private static void FinishPendingRotation(string path, SigningKeyRecord? known)
    {
        var pending = path + PendingSuffix;
        if (!File.Exists(pending))
        {
            return;
        }
        if (known is not null && TryReadKey(pending) is { } key && PublicKeyOf(key) == known.PublicKey)
        {
            File.Move(pending, path, overwrite: true);
        }
        else
        {
            File.Delete(pending);
        }
    }

    private static SigningKeyRecord Restart(IApplianceStore store, byte[] key, DateTimeOffset now)
    {
        var first = new SigningKeyRecord(1, PublicKeyOf(key), null, now);
        store.WriteAsync(s =>
        {
            s.DeleteSigningKeys();
            s.InsertSigningKey(first);
            return 0;
        }).GetAwaiter().GetResult();
        return first;
    }

    private static string PublicKeyOf(byte[] key) => Convert.ToBase64String(Ed25519.PublicKeyOf(key));

    private static byte[]? TryReadKey(string path)
    {
        try
        {
            return ReadKey(path);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static byte[] ReadKey(string path)
    {
        try
        {
            var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length == Ed25519.PrivateKeySize ? key : throw new InvalidOperationException($"{path} does not hold a 32-byte Ed25519 key");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{path} does not hold a base64 Ed25519 key");
        }
    }
}
