using System.Net;
using Appliance.Server.Security;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

/// <summary>The web console's password hash, sign-in lock-out and sessions, on a fake clock.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class ConsoleSecurityUnitTests
{
    private static readonly IPAddress Here = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress There = IPAddress.Parse("198.51.100.20");

    [Fact]
    public void Password_hash_verifies_its_own_password_only_and_records_its_iteration_count()
    {
        var hash = PasswordHash.Hash("correct-horse-battery", iterations: 1000);
        Assert.Matches(@"^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$", hash);
        Assert.True(PasswordHash.Verify("correct-horse-battery", hash));
        Assert.False(PasswordHash.Verify("correct-horse-batterY", hash));
        Assert.NotEqual(hash, PasswordHash.Hash("correct-horse-battery", iterations: 1000)); // salted
        Assert.StartsWith("pbkdf2-sha256$600000$", PasswordHash.Hash("x"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty", "")]
    [InlineData("other scheme", "bcrypt$10$abc$def")]
    [InlineData("no iterations", "pbkdf2-sha256$$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("absurd iterations", "pbkdf2-sha256$999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("not base64", "pbkdf2-sha256$1000$!!!$???")]
    [InlineData("short hash", "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    public void Malformed_stored_hashes_never_verify(string name, string stored)
    {
        Assert.False(PasswordHash.Verify("anything", stored), name);
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("short", "must be at least 10 characters")]
    [InlineData("tab\tinside-here", "must not contain control characters")]
    public void Weak_or_odd_passwords_are_named(string? password, string problem)
    {
        Assert.Equal(problem, PasswordHash.Problem(password));
        Assert.Equal("must be at most 256 characters", PasswordHash.Problem(new string('a', 257)));
        Assert.Null(PasswordHash.Problem("correct-horse-battery"));
    }

    [Fact]
    public void Five_failures_lock_the_account_from_every_address_until_the_lock_ends()
    {
        var clock = new FakeTimeProvider();
        var limiter = new SignInLimiter(clock);
        for (var i = 0; i < SignInLimiter.MaxFailures - 1; i++)
        {
            limiter.Failed("alice", i % 2 == 0 ? Here : There);
            Assert.Null(limiter.Check("alice", Here));
        }
        limiter.Failed("alice", There);
        var locked = limiter.Check("alice", IPAddress.Parse("203.0.113.5"));
        Assert.NotNull(locked);
        Assert.Equal("too many failed sign-ins for this account: it is locked for 15 min", locked.Value.Message);
        Assert.Null(limiter.Check("bob", IPAddress.Parse("203.0.113.5"))); // another account from elsewhere is not
        clock.Advance(SignInLimiter.LockOut);
        Assert.Null(limiter.Check("alice", Here));
    }

    [Fact]
    public void Five_failures_from_one_address_lock_that_address_for_every_account()
    {
        var clock = new FakeTimeProvider();
        var limiter = new SignInLimiter(clock);
        foreach (var account in new[] { "a", "b", "c", "d", "e" })
        {
            limiter.Failed(account, Here);
        }
        Assert.StartsWith("too many failed sign-ins from this address", limiter.Check("f", Here)!.Value.Message, StringComparison.Ordinal);
        Assert.Null(limiter.Check("f", There));
        // IPv4 on a dual-stack socket is the same address.
        Assert.NotNull(limiter.Check("f", Here.MapToIPv6()));
    }

    [Fact]
    public void Failures_spread_wider_than_the_window_do_not_add_up_and_a_success_clears_them()
    {
        var clock = new FakeTimeProvider();
        var limiter = new SignInLimiter(clock);
        for (var i = 0; i < 10; i++)
        {
            limiter.Failed("alice", Here);
            if (i % 4 == 3)
            {
                limiter.Succeeded("alice", Here);
            }
        }
        Assert.Null(limiter.Check("alice", Here));
        for (var i = 0; i < 8; i++)
        {
            limiter.Failed("alice", IPAddress.Parse($"203.0.113.{i}"));
            clock.Advance(SignInLimiter.Window / 4); // four per window at most
        }
        Assert.Null(limiter.Check("alice", Here));
    }

    [Fact]
    public void Sessions_end_when_idle_too_long_at_their_lifetime_or_on_revocation_and_are_bounded_per_account()
    {
        var clock = new FakeTimeProvider();
        var sessions = new ConsoleSessions(clock);
        var s = sessions.Create("alice");
        Assert.NotEqual(s.Id, s.CsrfToken);
        Assert.Equal(43, s.Id.Length); // 32 random bytes
        Assert.Same(s, sessions.Find(s.Id));
        clock.Advance(ConsoleSessions.IdleTimeout - TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Find(s.Id)); // used: the idle clock restarts
        clock.Advance(ConsoleSessions.IdleTimeout + TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Find(s.Id));

        var old = sessions.Create("alice");
        for (var i = 0; i < 12; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(59)); // 11 h 48 min in all
            Assert.NotNull(sessions.Find(old.Id));
        }
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Null(sessions.Find(old.Id)); // used a minute ago, but past its 12 h lifetime

        var revoked = sessions.Create("alice");
        sessions.Revoke(revoked.Id);
        Assert.Null(sessions.Find(revoked.Id));
        Assert.Null(sessions.Find(null));
        Assert.Null(sessions.Find(new string('a', 65)));

        var first = sessions.Create("bob");
        for (var i = 1; i < ConsoleSessions.MaxPerAccount; i++)
        {
            sessions.Create("bob");
        }
        Assert.NotNull(sessions.Find(first.Id));
        sessions.Create("bob");
        Assert.Null(sessions.Find(first.Id)); // the oldest went
    }
}
