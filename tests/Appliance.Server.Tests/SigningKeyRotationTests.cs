using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// Signing-key rotation: the new key is announced to every node signed by the old one, everything after it is signed
/// by the new key, a node that missed it follows the chain over HTTPS, and the key survives a restart. Every update
/// carries the network's epoch and the server id; a network created again under the same name has a new epoch.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class SigningKeyRotationTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-rotation");

    public void Dispose() => _dir.Dispose();

    private static async Task<(MeshUpdate Update, byte[] Wire)> NextAsync(MqttClient client, JoinResponse node, string key)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await client.Messages.ReadAsync(cts.Token);
        Assert.Equal(MeshTopics.Updates(node.NodeId), message.Topic);
        Assert.True(SignedEnvelope.TryOpen(message.Payload.Span, Convert.FromBase64String(key), out var payload, out var error), error);
        return (JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!, message.Payload.ToArray());
    }

    [Fact]
    public async Task A_rotation_is_announced_signed_by_the_old_key_and_the_new_key_signs_from_then_on()
    {
        using var server = new ServerFactory(_dir.Path);
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        var b = await server.JoinAsync(key, "b"); // never connects: it misses the announcement
        var oldKey = a.SigningKey!;
        await using var client = await MeshFollower.ConnectAsync(server, a);
        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        var (snapshot, _) = await NextAsync(client, a, oldKey);
        Assert.True(snapshot.IsSnapshot);

        using var admin = server.Admin();
        using var rotated = await admin.PostAsync("/api/v1/signing-key/rotate", null);
        await Http.EnsureAsync(rotated);
        var dto = (await rotated.Content.ReadFromJsonAsync<SigningKeyDto>())!;
        Assert.Equal((2L, server.SigningPublicKey), (dto.Sequence, dto.PublicKey));
        Assert.NotEqual(oldKey, dto.PublicKey);

        // The announcement, verified with the key the node holds, names the new key.
        var (announcement, announcementWire) = await NextAsync(client, a, oldKey);
        Assert.Equal((MeshUpdate.SigningKeyKind, MeshUpdate.AnyMember, dto.PublicKey), (announcement.Kind, announcement.NodeId, announcement.NextSigningKey));
        // From then on: signed by the new key only.
        var c = await server.JoinAsync(key, "c");
        Assert.Equal(dto.PublicKey, c.SigningKey); // new nodes learn the new key at join
        var (joined, wire) = await NextAsync(client, a, dto.PublicKey);
        Assert.Equal("c", Assert.Single(joined.UpsertPeers).Name);
        Assert.False(SignedEnvelope.TryOpen(wire, Convert.FromBase64String(oldKey), out _, out _));

        // The node that was away fetches the chain over its HTTPS route and follows it from the key it holds.
        using var asB = server.As(b.Credential);
        var chain = (await asB.GetFromJsonAsync<SigningKeyChainDto>("/api/v1/node/signing-keys"))!;
        Assert.Equal(dto.PublicKey, chain.PublicKey);
        Assert.Equal(Convert.ToBase64String(announcementWire), Assert.Single(chain.Announcements));
        Assert.True(SignedEnvelope.TryOpen(Convert.FromBase64String(chain.Announcements[0]), Convert.FromBase64String(b.SigningKey!), out var payload, out var error), error);
        Assert.Equal(dto.PublicKey, JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!.NextSigningKey);

        // Its snapshot when it asks is signed by the new key too (nothing sealed with the old key is reused).
        await using var clientB = await MeshFollower.ConnectAsync(server, b);
        await clientB.PublishAsync(MeshTopics.Resync(b.NodeId), "{}", MqttQos.AtLeastOnce);
        var (snapshotB, _) = await NextAsync(clientB, b, dto.PublicKey);
        Assert.True(snapshotB.IsSnapshot);
    }

    [Fact]
    public async Task A_rotated_key_is_the_one_used_after_a_restart_and_a_second_rotation_extends_the_chain()
    {
        string rotated;
        using (var server = new ServerFactory(_dir.Path))
        {
            await server.CreateNetworkAsync("home", "10.10.0.0/24");
            await server.JoinAsync(await server.CreateKeyAsync("home"), "a");
            using var admin = server.Admin();
            (await admin.PostAsync("/api/v1/signing-key/rotate", null)).Dispose();
            rotated = server.SigningPublicKey;
        }
        using var again = new ServerFactory(_dir.Path);
        Assert.Equal(rotated, again.SigningPublicKey); // the store and signing.key agree: it starts
        using var admin2 = again.Admin();
        Assert.Equal(rotated, (await admin2.GetFromJsonAsync<SigningKeyDto>("/api/v1/signing-key"))!.PublicKey);
        (await admin2.PostAsync("/api/v1/signing-key/rotate", null)).Dispose();
        var chain = await again.Store.ReadAsync(s => s.ListSigningKeys());
        Assert.Equal([1L, 2L, 3L], chain.Select(k => k.Sequence));
        Assert.Null(chain[0].Announcement);
        // Each announcement is sealed by the key before it and names the next.
        for (var i = 1; i < chain.Count; i++)
        {
            Assert.True(SignedEnvelope.TryOpen(chain[i].Announcement, Convert.FromBase64String(chain[i - 1].PublicKey), out var payload, out var error), error);
            Assert.Equal(chain[i].PublicKey, JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!.NextSigningKey);
        }
    }

    [Fact]
    public async Task Every_update_carries_the_networks_epoch_and_the_server_id_and_a_network_made_again_has_a_new_epoch()
    {
        using var server = new ServerFactory(_dir.Path);
        var created = await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        var epoch = (await server.Store.ReadAsync(s => s.FindNetwork("home")))!.Epoch;
        Assert.Equal(32, epoch.Length);
        var lineage = (epoch, server.ServerId);

        await using var client = await MeshFollower.ConnectAsync(server, a);
        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        var snapshot = await SignedUpdates.NextAsync(client, a);
        Assert.Equal(lineage, (snapshot.Epoch!, snapshot.ServerId!));
        await server.JoinAsync(key, "b");
        var delta = await SignedUpdates.NextAsync(client, a);
        Assert.Equal((MeshUpdate.NetworkDeltaKind, lineage), (delta.Kind, (delta.Epoch!, delta.ServerId!)));
        using (var asA = server.As(a.Credential))
        {
            var config = (await asA.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!;
            Assert.Equal(lineage, (config.Epoch!, config.ServerId!)); // the HTTPS pull names the same lineage
        }

        // Deleted and created again under the same name: versions start over, in a new epoch.
        using var admin = server.Admin();
        await Http.EnsureAsync(await admin.DeleteAsync("/api/v1/networks/home?force=true"));
        var again = await server.CreateNetworkAsync("home", "10.10.0.0/24");
        Assert.Equal(created.Version, again.Version);
        var newEpoch = (await server.Store.ReadAsync(s => s.FindNetwork("home")))!.Epoch;
        Assert.NotEqual(epoch, newEpoch);
        var a2 = await server.JoinAsync(await server.CreateKeyAsync("home"), "a");
        await using var client2 = await MeshFollower.ConnectAsync(server, a2);
        await client2.PublishAsync(MeshTopics.Resync(a2.NodeId), "{}", MqttQos.AtLeastOnce);
        Assert.Equal(newEpoch, (await SignedUpdates.NextAsync(client2, a2)).Epoch);
    }
}
