using Appliance.Crypto;
using Appliance.Server.Security;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The server's start with its signing key, server id and data dir: no silent new key when nodes know the old one,
/// a rotation cut short finishes or is dropped, a store that does not match the data dir gets a new server id, and
/// everything in the data dir is owner-only.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class SigningKeyStartTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-signing");

    public void Dispose() => _dir.Dispose();

    private string KeyFile => _dir.Combine(SigningKeyRing.FileName);

    // A first start with one node joined: from then on a node verifies updates with the key.
    private async Task<string> StartWithANodeAsync()
    {
        using var first = new ServerFactory(_dir.Path);
        await first.CreateNetworkAsync("home", "10.10.0.0/24");
        var node = await first.JoinAsync(await first.CreateKeyAsync("home"), "a");
        Assert.Equal(first.SigningPublicKey, node.SigningKey);
        return node.SigningKey!;
    }

    [Fact]
    public async Task A_missing_signing_key_stops_a_server_that_has_nodes()
    {
        await StartWithANodeAsync();
        File.Delete(KeyFile);
        using var second = new ServerFactory(_dir.Path);
        var e = Assert.ThrowsAny<Exception>(() => second.Started);
        Assert.Contains($"the signing key file {KeyFile} is missing", e.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile)); // no silent new key
    }

    [Fact]
    public async Task A_different_signing_key_stops_a_server_that_has_nodes()
    {
        var known = await StartWithANodeAsync();
        var other = Ed25519.GeneratePrivateKey();
        File.WriteAllText(KeyFile, Convert.ToBase64String(other) + "\n");
        using var second = new ServerFactory(_dir.Path);
        var e = Assert.ThrowsAny<Exception>(() => second.Started);
        Assert.Contains($"the signing key file {KeyFile} holds key {Convert.ToBase64String(Ed25519.PublicKeyOf(other))}", e.ToString(), StringComparison.Ordinal);
        Assert.Contains($"verify its updates with key {known}", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_nodes_a_missing_key_is_made_again_and_the_same_key_starts()
    {
        string first;
        using (var server = new ServerFactory(_dir.Path))
        {
            await server.CreateNetworkAsync("home", "10.10.0.0/24");
            first = server.SigningPublicKey;
        }
        using (var again = new ServerFactory(_dir.Path))
        {
            Assert.Equal(first, again.SigningPublicKey);
        }
        File.Delete(KeyFile);
        using var fresh = new ServerFactory(_dir.Path);
        Assert.NotEqual(first, fresh.SigningPublicKey); // no node knew the old one
        Assert.True(File.Exists(KeyFile));
    }

    [Fact]
    public async Task A_rotation_cut_short_after_the_store_recorded_it_is_finished_at_start()
    {
        await StartWithANodeAsync();
        string rotated;
        using (var server = new ServerFactory(_dir.Path))
        {
            var old = File.ReadAllText(KeyFile);
            rotated = (await server.SigningKeys.RotateAsync(server.Store, server.ServerId, DateTimeOffset.UtcNow, default)).Record.PublicKey;
            // As if the process died between the store's commit and the rename: the old file, the new one beside it.
            File.Move(KeyFile, KeyFile + ".new");
            File.WriteAllText(KeyFile, old);
        }
        using var second = new ServerFactory(_dir.Path);
        Assert.Equal(rotated, second.SigningPublicKey);
        Assert.False(File.Exists(KeyFile + ".new"));
    }

    [Fact]
    public async Task The_server_id_stays_across_restarts_and_changes_when_the_store_is_not_this_data_dirs()
    {
        await StartWithANodeAsync();
        string id;
        using (var server = new ServerFactory(_dir.Path))
        {
            id = server.ServerId;
            Assert.Equal(32, id.Length);
        }
        using (var again = new ServerFactory(_dir.Path))
        {
            Assert.Equal(id, again.ServerId);
        }
        // A database restored or copied in: its id no longer matches server.id beside it.
        File.WriteAllText(_dir.Combine(ServerIdentity.FileName), "0123456789abcdef0123456789abcdef\n");
        using var restored = new ServerFactory(_dir.Path);
        Assert.NotEqual(id, restored.ServerId);
        Assert.NotEqual("0123456789abcdef0123456789abcdef", restored.ServerId);
        Assert.Equal(restored.ServerId, File.ReadAllText(_dir.Combine(ServerIdentity.FileName)).Trim());
    }

    [Fact]
    public async Task A_pre_made_open_data_dir_and_everything_in_it_become_owner_only()
    {
        const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var dataDir = _dir.Combine("data");
        Directory.CreateDirectory(dataDir);
        File.SetUnixFileMode(dataDir, Open);
        // An empty appliance.db is a valid empty SQLite database: the store creates its schema (and -wal, -shm) in it.
        foreach (var name in new[] { "appliance.db", "admin.token.old", "notes.txt" })
        {
            File.WriteAllText(Path.Combine(dataDir, name), string.Empty);
            File.SetUnixFileMode(Path.Combine(dataDir, name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        Directory.CreateDirectory(Path.Combine(dataDir, "backup"));
        File.SetUnixFileMode(Path.Combine(dataDir, "backup"), Open);
        File.WriteAllText(Path.Combine(dataDir, "backup", "old.db"), "x");

        using var server = new ServerFactory(dataDir);
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        await server.JoinAsync(await server.CreateKeyAsync("home"), "a");

        Assert.Equal(DataDirPermissions.DirectoryMode, File.GetUnixFileMode(dataDir));
        var entries = Directory.GetFileSystemEntries(dataDir, "*", SearchOption.AllDirectories);
        Assert.Contains(Path.Combine(dataDir, "appliance.db-wal"), entries);
        Assert.Contains(Path.Combine(dataDir, "appliance.db-shm"), entries);
        Assert.Contains(Path.Combine(dataDir, "signing.key"), entries);
        Assert.Contains(Path.Combine(dataDir, "admin.token"), entries);
        var open = entries
            .Select(e => (e, Mode: File.GetUnixFileMode(e), Want: Directory.Exists(e) ? DataDirPermissions.DirectoryMode : DataDirPermissions.FileMode))
            .Where(x => x.Mode != x.Want)
            .Select(x => $"{x.e}: {x.Mode}")
            .ToList();
        Assert.True(open.Count == 0, string.Join("\n", open));
    }
}
