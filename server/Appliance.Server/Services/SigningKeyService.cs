using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Hosting;

namespace Appliance.Server.Services;

/// <summary>
/// The server's signing key: shows it, rotates it (the new key is announced to every node, signed by the old one)
/// and serves the announcement chain to nodes that missed rotations.
/// </summary>
public sealed class SigningKeyService(ServerContext context, TimeProvider clock, Mesh.MeshPublisher mesh)
{
    public SigningKeyDto Current() => ToDto(context.SigningKeys.Current);

    public async Task<SigningKeyDto> RotateAsync(CancellationToken ct)
    {
        var (announcement, privateKey, record) = await context.SigningKeys.RotateAsync(context.Store, context.ServerId, clock.GetUtcNow(), ct);
        mesh.SigningKeyRotated(new Mesh.MeshPublisher.SigningKeyRotation(announcement, privateKey));
        return ToDto(record);
    }

    /// <summary>The current key and every announcement that leads to it, oldest first.</summary>
    public Task<SigningKeyChainDto> ChainAsync(CancellationToken ct) =>
        context.Store.ReadAsync(s => new SigningKeyChainDto(
            context.SigningPublicKey,
            [.. s.ListSigningKeys().Where(k => k.Announcement is not null).Select(k => Convert.ToBase64String(k.Announcement!))]), ct);

    private static SigningKeyDto ToDto(SigningKeyRecord k) => new(k.PublicKey, k.Sequence, k.CreatedAt);
}
