using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// Two servers (in-process hosts, each with its own data dir) on one PostgreSQL database behave as one: they start at
/// once on the empty database and end with one CA, one signing key and one server id; what one creates the other
/// serves; a single-use key joined through both at once is taken once; addresses are never handed out twice.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class PostgresReplicaTests : IDisposable
{
    private readonly TempDirectory _dirA = new("appliance-replica-a");
    private readonly TempDirectory _dirB = new("appliance-replica-b");
    private readonly ServerFactory _a;
    private readonly ServerFactory _b;

    public PostgresReplicaTests()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = PostgresCluster.Instance.CreateDatabase(),
        };
        _a = new ServerFactory(_dirA.Path, settings: settings);
        _b = new ServerFactory(_dirB.Path, settings: settings);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _dirA.Dispose();
        _dirB.Dispose();
    }

    // Both start at once on the empty database; the admin token file is on the one that made it (only its hash is
    // shared), and the operator copies it to the other, as the docs say.
    private async Task StartBothAsync()
    {
        await Task.WhenAll(Task.Run(() => _a.Started), Task.Run(() => _b.Started));
        var tokens = new[] { _dirA, _dirB }.Select(d => d.Combine("admin.token")).Where(File.Exists).ToList();
        var made = Assert.Single(tokens);
        var other = made.StartsWith(_dirA.Path, StringComparison.Ordinal) ? _dirB.Combine("admin.token") : _dirA.Combine("admin.token");
        File.Copy(made, other);
    }

    [Fact]
    public async Task Two_servers_starting_at_once_share_one_ca_one_signing_key_and_one_server_id()
    {
        await StartBothAsync();
        Assert.Equal(_a.Certificates!.CaFingerprint, _b.Certificates!.CaFingerprint);
        Assert.Equal(_a.SigningPublicKey, _b.SigningPublicKey);
        Assert.Equal(_a.ServerId, _b.ServerId);
        Assert.Equal(File.ReadAllText(_dirA.Combine("ca.key")), File.ReadAllText(_dirB.Combine("ca.key")));
        // Each issued its own TLS certificate from the shared CA.
        Assert.NotEqual(_a.Certificates.Server.Thumbprint, _b.Certificates.Server.Thumbprint);
        // One chain of signing keys, of one key.
        Assert.Single(await _a.Store.ReadAsync(s => s.ListSigningKeys()));
    }

    [Fact]
    public async Task A_network_created_through_one_is_served_by_the_other()
    {
        await StartBothAsync();
        await _a.CreateNetworkAsync("home", "10.70.0.0/24");
        using var admin = _b.Admin();
        var networks = await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks");
        Assert.Equal("home", Assert.Single(networks!).Name);
        // And a key made through the second lets a node join through the first.
        var key = await _b.CreateKeyAsync("home");
        var joined = await _a.JoinAsync(key, "first");
        using var asNode = _b.As(joined.Credential);
        Assert.Equal(joined.NodeId, (await asNode.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!.NodeId);
    }

    [Fact]
    public async Task Twenty_four_joins_on_a_single_use_key_across_both_servers_give_exactly_one_node()
    {
        await StartBothAsync();
        await _a.CreateNetworkAsync("race", "10.71.0.0/24");
        var key = await _b.CreateKeyAsync("race", uses: 1);
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => (i % 2 == 0 ? _a : _b).JoinRawAsync(key, $"racer{i}")));
        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            var details = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                details.Add((await Http.ProblemAsync(r, 403)).Detail!);
            }
            Assert.Contains("no uses left", Assert.Single(details), StringComparison.Ordinal);
            using var admin = _a.Admin();
            Assert.Single((await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/networks/race/nodes"))!);
            Assert.Equal(0, (await admin.GetFromJsonAsync<List<EnrollmentKeyDto>>("/api/v1/enrollment-keys"))!.Single().UsesRemaining);
        }
        finally
        {
            foreach (var r in responses)
            {
                r.Dispose();
            }
        }
    }

    [Fact]
    public async Task Parallel_joins_through_both_servers_never_share_an_address()
    {
        await StartBothAsync();
        await _a.CreateNetworkAsync("many", "10.72.0.0/24", "fd72::/64");
        var key = await _a.CreateKeyAsync("many");
        var joined = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? _a : _b).JoinAsync(key, $"m{i}")));
        Assert.Equal(40, joined.Select(j => j.Ipv4Address).Distinct().Count());
        Assert.Equal(40, joined.Select(j => j.Ipv6Address).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"10.72.0.{i}/24").ToHashSet(), joined.Select(j => j.Ipv4Address!).ToHashSet());
        Assert.Equal(40, joined.Select(j => j.Name).Distinct().Count());
    }

    [Fact]
    public async Task A_signing_key_rotated_through_one_server_is_the_key_a_server_started_later_signs_with()
    {
        await StartBothAsync();
        var first = _a.SigningPublicKey;
        using (var admin = _a.Admin())
        {
            await Http.EnsureAsync(await admin.PostAsync("/api/v1/signing-key/rotate", null));
        }
        Assert.NotEqual(first, _a.SigningPublicKey);
        using var dirC = new TempDirectory("appliance-replica-c");
        using var c = new ServerFactory(dirC.Path, settings: new Dictionary<string, string?>
        {
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = _a.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Store:ConnectionString"],
        });
        Assert.Equal(_a.SigningPublicKey, c.SigningPublicKey);
        Assert.Equal(2, (await c.Store.ReadAsync(s => s.ListSigningKeys())).Count);
        Assert.Equal(_a.Certificates!.CaFingerprint, c.Certificates!.CaFingerprint);
    }
}
