using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// The server's signing key: shows it, rotates it (the new key is announced to every node, signed by the old one)
/// and serves the announcement chain to nodes that missed rotations.
/// </summary>
public sealed class SigningKeyService(IApplianceStore store, TimeProvider clock, SigningKeyRing signingKeys, ServerIdentity identity, Mesh.MeshPublisher mesh)
{
    public SigningKeyDto Current() => ToDto(signingKeys.Current);

    public async Task<SigningKeyDto> RotateAsync(CancellationToken ct)
    {
        var (announcement, privateKey, record) = await signingKeys.RotateAsync(store, identity.Id, clock.GetUtcNow(), ct);
        mesh.SigningKeyRotated(new Mesh.MeshPublisher.SigningKeyRotation(announcement, privateKey));
        return ToDto(record);
    }

    /// <summary>The current key and every announcement that leads to it, oldest first.</summary>
    public Task<SigningKeyChainDto> ChainAsync(CancellationToken ct) =>
        store.ReadAsync(s => new SigningKeyChainDto(
            signingKeys.Current.PublicKey,
            [.. s.ListSigningKeys().Where(k => k.Announcement is not null).Select(k => Convert.ToBase64String(k.Announcement!))]), ct);

    private static SigningKeyDto ToDto(SigningKeyRecord k) => new(k.PublicKey, k.Sequence, k.CreatedAt);
}
