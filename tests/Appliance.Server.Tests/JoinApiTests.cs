using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Integration)]
public sealed class JoinApiTests : IDisposable
{
    private readonly ServerFactory _server = new();

    [Fact]
    public async Task Key_token_carries_public_url_and_ca_fingerprint()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home", uses: 3, tags: ["lab"]);
        var token = JoinToken.Decode(key.Token!);
        Assert.Equal("https://appliance.test:8443", token.Server);
        Assert.Equal(_server.Certificates!.CaFingerprint, token.Fingerprint);
        Assert.StartsWith("apk.", token.Key, StringComparison.Ordinal);

        using var admin = _server.Admin();
        var listed = await admin.GetFromJsonAsync<List<EnrollmentKeyDto>>("/api/v1/enrollment-keys");
        var only = Assert.Single(listed!);
        Assert.Null(only.Token); // shown once, stored as a hash
        Assert.Equal(3, only.UsesRemaining);
        Assert.Equal(["lab"], only.Tags);
    }

    [Fact]
    public async Task Join_allocates_addresses_and_config_lists_the_other_nodes_as_peers()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24", "fd10::/64");
        var key = await _server.CreateKeyAsync("home", tags: ["iot"]);
        var a = await _server.JoinAsync(key, "Node-A.lan", ["192.0.2.1", "198.51.100.7:40000"]);
        var b = await _server.JoinAsync(key, "node-a"); // same label: gets a suffix
        Assert.Equal(("node-a", "10.10.0.1/24", "fd10::1/64"), (a.Name, a.Ipv4Address, a.Ipv6Address));
        Assert.Equal(("node-a-2", "10.10.0.2/24", "fd10::2/64"), (b.Name, b.Ipv4Address, b.Ipv6Address));
        Assert.Equal(51821, a.ListenPort);
        Assert.StartsWith("apn." + a.NodeId + ".", a.Credential, StringComparison.Ordinal);

        using var asB = _server.As(b.Credential);
        var config = await asB.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config");
        Assert.Equal(b.NodeId, config!.NodeId);
        Assert.Equal(["10.10.0.2/24", "fd10::2/64"], config.Interface.Addresses);
        Assert.Equal(1420, config.Interface.Mtu);
        var peer = Assert.Single(config.Peers);
        Assert.Equal(a.NodeId, peer.NodeId);
        Assert.Equal(["10.10.0.1/32", "fd10::1/128"], peer.AllowedIps);
        Assert.Equal("192.0.2.1:51821", peer.Endpoint);
        Assert.Equal(["192.0.2.1:51821", "198.51.100.7:40000"], peer.Endpoints);
        Assert.Equal(20, peer.PersistentKeepalive);

        using var admin = _server.Admin();
        var nodes = await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/networks/home/nodes");
        Assert.Equal(2, nodes!.Count);
        Assert.All(nodes, n => Assert.Equal(["iot"], n.Tags));
        Assert.NotNull(nodes.Single(n => n.Id == b.NodeId).LastSeen);
    }

    [Fact]
    public async Task A_taken_name_gets_the_lowest_free_suffix_among_nodes_ext_clients_and_dns_names()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        using (var admin = _server.Admin())
        {
            // A DNS name takes "web-2" too: node names share the zone with DNS entries.
            (await admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "web-2", Type = "A", Value = "192.0.2.9" })).EnsureSuccessStatusCode();
        }
        var names = new List<string>();
        foreach (var host in new[] { "web", "webby", "web-x", "web", "web", "we" })
        {
            names.Add((await _server.JoinAsync(key, host)).Name);
        }
        Assert.Equal(["web", "webby", "web-x", "web-3", "web-4", "we"], names);
    }

    [Fact]
    public async Task Single_use_key_gives_exactly_one_success_under_concurrent_joins()
    {
        await _server.CreateNetworkAsync("race", "10.60.0.0/24");
        var key = await _server.CreateKeyAsync("race", uses: 1);
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => _server.JoinRawAsync(key, $"racer{i}")));
        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                var p = await Http.ProblemAsync(r, 403);
                Assert.Contains("no uses left", p.Detail, StringComparison.Ordinal);
            }
            using var admin = _server.Admin();
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
    public async Task Expired_unknown_and_deleted_keys_are_refused_clearly()
    {
        // The server's clock decides expiry: a fake one moves past it without waiting.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var server = new ServerFactory { TestServices = s => s.AddSingleton<TimeProvider>(clock) };
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        using var admin = server.Admin();

        var soon = await server.CreateKeyAsync("home", expiresAt: clock.GetUtcNow().AddSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(2));
        using (var r = await server.JoinRawAsync(soon, "late"))
        {
            Assert.Contains("expired", (await Http.ProblemAsync(r, 403)).Detail, StringComparison.Ordinal);
        }

        var key = await server.CreateKeyAsync("home");
        using (var del = await admin.DeleteAsync($"/api/v1/enrollment-keys/{key.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        }
        using (var r = await server.JoinRawAsync(key, "revoked"))
        {
            Assert.Contains("not valid", (await Http.ProblemAsync(r, 403)).Detail, StringComparison.Ordinal);
        }

        using (var past = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home"], ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1) }))
        {
            Assert.True((await Http.ProblemAsync(past, 400)).Errors!.ContainsKey("expiresAt"));
        }
        using (var missing = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home", "nope"] }))
        {
            Assert.True((await Http.ProblemAsync(missing, 400)).Errors!.ContainsKey("networks[1]"));
        }
        using (var zero = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home"], Uses = 0 }))
        {
            Assert.True((await Http.ProblemAsync(zero, 400)).Errors!.ContainsKey("uses"));
        }
    }

    [Fact]
    public async Task Bad_join_requests_name_the_field_and_consume_no_use()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home", uses: 1);
        var secret = JoinToken.Decode(key.Token!).Key;
        using var anon = _server.CreateClient();
        async Task Bad(JoinRequest req, string field)
        {
            using var r = await anon.PostAsJsonAsync("/api/v1/join", req);
            Assert.True((await Http.ProblemAsync(r, 400)).Errors!.ContainsKey(field), field);
        }
        var pub = X25519.GenerateKeyPair().PublicKey.ToString();
        await Bad(new JoinRequest { Key = secret, PublicKey = "not-a-key", Hostname = "h" }, "publicKey");
        await Bad(new JoinRequest { Key = secret, PublicKey = pub, Hostname = "" }, "hostname");
        await Bad(new JoinRequest { Key = secret, PublicKey = pub, Hostname = "h", ListenPort = 70000 }, "listenPort");
        await Bad(new JoinRequest { Key = secret, PublicKey = pub, Hostname = "h", Endpoints = ["example.com"] }, "endpoints[0]");
        await Bad(new JoinRequest { PublicKey = pub, Hostname = "h" }, "key");
        await Bad(new JoinRequest { Key = secret, PublicKey = pub, Hostname = "h", Network = "other" }, "network");
        // The single use is still there.
        var ok = await _server.JoinAsync(key, "h");
        Assert.Equal("h", ok.Name);

        // The same public key cannot join one network twice.
        var again = await _server.CreateKeyAsync("home");
        var pk = WgKey.Parse(pub);
        using (var first = await _server.JoinRawAsync(again, "x", pk))
        {
            await Http.EnsureAsync(first);
        }
        using (var second = await _server.JoinRawAsync(again, "y", pk))
        {
            Assert.True((await Http.ProblemAsync(second, 409)).Errors!.ContainsKey("publicKey"));
        }
    }

    [Fact]
    public async Task Exhausted_pool_is_a_409_not_a_crash_and_the_use_is_returned()
    {
        await _server.CreateNetworkAsync("tiny", "10.70.0.0/30");
        var key = await _server.CreateKeyAsync("tiny", uses: 3);
        await _server.JoinAsync(key, "one");
        await _server.JoinAsync(key, "two");
        using var r = await _server.JoinRawAsync(key, "three");
        var p = await Http.ProblemAsync(r, 409);
        Assert.Contains("no free address", p.Detail, StringComparison.Ordinal);
        using var admin = _server.Admin();
        Assert.Equal(1, (await admin.GetFromJsonAsync<List<EnrollmentKeyDto>>("/api/v1/enrollment-keys"))!.Single().UsesRemaining);
    }

    public void Dispose() => _server.Dispose();
}
