using Appliance.Contracts;
using Appliance.Server.Domain;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>The web console's accounts: add, list, remove, change a password, and check a sign-in.</summary>
public sealed class AdminAccountService(IApplianceStore store, TimeProvider clock)
{
    public const int MaxAccounts = 100;

    // Verified when the account does not exist, so an unknown name costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => PasswordHash.Hash("not a password of anyone"));

    public Task<List<AdminAccountDto>> ListAsync(CancellationToken ct) =>
        store.ReadAsync(s => s.ListAdminAccounts().Select(a => new AdminAccountDto(a.Name, a.CreatedAt, a.PasswordChangedAt)).ToList(), ct);

    public Task AddAsync(string name, string password, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        CheckName(name, errors);
        if (PasswordHash.Problem(password) is { } problem)
        {
            errors.Add("password", problem);
        }
        errors.ThrowIfAny();
        // Hashed before the write transaction: 0.3 s of PBKDF2 must not hold the store's writer.
        var hash = PasswordHash.Hash(password);
        return store.WriteAsync(s =>
        {
            if (s.FindAdminAccount(name) is not null)
            {
                throw DomainException.Conflict("name", $"an account '{name}' exists (use 'admin passwd' to change its password)");
            }
            if (s.ListAdminAccounts().Count >= MaxAccounts)
            {
                throw DomainException.Conflict("name", $"there are already {MaxAccounts} accounts");
            }
            var now = clock.GetUtcNow();
            s.UpsertAdminAccount(new AdminAccountRecord(name, hash, now, now));
            return 0;
        }, ct);
    }

    /// <summary>Sets a new password; every session the account had ends (their sign-in is older than the change).</summary>
    public Task ChangePasswordAsync(string name, string password, CancellationToken ct)
    {
        if (PasswordHash.Problem(password) is { } problem)
        {
            throw DomainException.Invalid("password", problem);
        }
        var hash = PasswordHash.Hash(password);
        return store.WriteAsync(s =>
        {
            var account = s.FindAdminAccount(name) ?? throw DomainException.NotFound($"account '{name}'");
            s.UpsertAdminAccount(account with { PasswordHash = hash, PasswordChangedAt = clock.GetUtcNow() });
            return 0;
        }, ct);
    }

    public Task RemoveAsync(string name, CancellationToken ct) =>
        store.WriteAsync(s => s.DeleteAdminAccount(name) ? 0 : throw DomainException.NotFound($"account '{name}'"), ct);

    /// <summary>True when the account exists and the password is its own. Takes the same time for an unknown account.</summary>
    public async Task<bool> VerifyAsync(string name, string password, CancellationToken ct)
    {
        if (name.Length > Names.MaxLabelLength || password.Length > PasswordHash.MaxPasswordLength)
        {
            return false;
        }
        var account = await store.ReadAsync(s => s.FindAdminAccount(name), ct);
        var ok = PasswordHash.Verify(password, account?.PasswordHash ?? DummyHash.Value);
        return ok && account is not null;
    }

    private static void CheckName(string name, ValidationErrors errors)
    {
        if (!Names.IsDnsLabel(name))
        {
            errors.Add("name", "must be 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
    }
}
