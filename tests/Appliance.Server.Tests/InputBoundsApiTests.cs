using System.Net;
using System.Net.Http.Json;
using System.Text;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Server.Api;
using Appliance.Server.Services;
using Appliance.Server.Services.Validation;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// Issue #13 items 1, 2, 6, 7 at the API: one key one spelling, bounded lists and bodies, endpoint and name rules,
/// problem+json for every refusal.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class InputBoundsApiTests : IDisposable
{
    private readonly ServerFactory _server = new();

    /// <summary>The same 32 bytes in base64 with the two unused low bits of the last character set differently.</summary>
    private static string OtherSpelling(WgKey key)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var canonical = key.ToString();
        var last = alphabet[alphabet.IndexOf(canonical[42], StringComparison.Ordinal) ^ 1];
        return canonical[..42] + last + "=";
    }

    private async Task<HttpResponseMessage> JoinAsync(EnrollmentKeyDto key, JoinRequest overrides)
    {
        using var anon = _server.CreateClient();
        return await anon.PostAsJsonAsync("/api/v1/join", overrides with { Key = JoinToken.Decode(key.Token!).Key });
    }

    private static JoinRequest Valid(string? publicKey = null) => new()
    {
        PublicKey = publicKey ?? X25519.GenerateKeyPair().PublicKey.ToString(),
        Hostname = "box",
        Endpoints = ["192.0.2.10"],
        Os = "linux",
        Version = "1.0",
    };

    [Fact]
    public async Task A_second_join_with_another_spelling_of_the_same_key_is_a_conflict_and_the_key_is_stored_canonically()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var publicKey = X25519.GenerateKeyPair().PublicKey;
        var other = OtherSpelling(publicKey);
        Assert.NotEqual(publicKey.ToString(), other);
        Assert.Equal(publicKey, WgKey.Parse(other)); // the premise: one key, two spellings

        using (var first = await JoinAsync(key, Valid(other)))
        {
            await Http.EnsureAsync(first);
        }
        using (var second = await JoinAsync(key, Valid(publicKey.ToString())))
        {
            var problem = await Http.ProblemAsync(second, 409);
            Assert.Contains("publicKey", problem.Errors!.Keys);
        }
        using (var third = await JoinAsync(key, Valid(other)))
        {
            await Http.ProblemAsync(third, 409);
        }

        using var admin = _server.Admin();
        var node = Assert.Single((await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes"))!);
        Assert.Equal(publicKey.ToString(), node.PublicKey);
    }

    [Fact]
    public async Task An_ext_client_with_another_spelling_of_a_node_key_is_a_conflict()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw", "198.51.100.7");
        await s.IngressAsync(gw.NodeId);
        var nodeKey = WgKey.Parse((await s.Admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{gw.NodeId}"))!.PublicKey);
        using var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients",
            new CreateExtClientRequest { Gateway = gw.NodeId, PublicKey = OtherSpelling(nodeKey) });
        Assert.Contains("publicKey", (await Http.ProblemAsync(r, 409)).Errors!.Keys);
    }

    public static TheoryData<string, string> RefusedEndpoints => new()
    {
        { "IPv4 unspecified", "0.0.0.0" },
        { "IPv4 unspecified with port", "0.0.0.0:51820" },
        { "IPv6 unspecified", "::" },
        { "IPv6 unspecified in brackets", "[::]:51820" },
        { "broadcast", "255.255.255.255:51820" },
        { "IPv4 multicast", "224.0.0.1" },
        { "IPv4 multicast top", "239.255.255.250:1900" },
        { "IPv6 multicast", "[ff02::1]:51820" },
        { "short form two parts", "10.1" },
        { "short form loopback", "127.1:51820" },
        { "short form three parts", "192.168.1" },
        { "integer", "167772161" },
        { "leading zeros", "010.0.0.1" },
        { "IPv6 zone", "fe80::1%eth0" },
        { "port zero", "192.0.2.1:0" },
        { "port too large", "192.0.2.1:65536" },
        { "host name", "example.com:51820" },
        { "empty", "" },
        { "too long", new string('1', 65) },
    };

    [Theory]
    [MemberData(nameof(RefusedEndpoints))]
    public void The_endpoint_rule_refuses_unusable_and_short_form_addresses(string why, string endpoint)
    {
        Assert.True(FieldRules.Endpoint(endpoint) is not null, $"{why}: '{endpoint}' was accepted");
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.7:40000")]
    [InlineData("2001:db8::1")]
    [InlineData("[2001:db8::1]:51820")]
    [InlineData("127.0.0.1:51820")]
    public void The_endpoint_rule_accepts_full_addresses(string endpoint) => Assert.Null(FieldRules.Endpoint(endpoint));

    [Fact]
    public async Task Join_and_patch_refuse_bad_endpoints_naming_the_field_and_store_nothing()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        foreach (var bad in new[] { "0.0.0.0", "[::]:51820", "255.255.255.255", "224.0.0.1:51820", "10.1", "127.1", "167772161" })
        {
            using var r = await JoinAsync(key, Valid() with { Endpoints = ["192.0.2.1", bad] });
            var problem = await Http.ProblemAsync(r, 400);
            Assert.True(problem.Errors!.ContainsKey("endpoints[1]"), $"{bad}: {problem.Describe()}");
            Assert.Contains(bad, problem.Errors["endpoints[1]"][0], StringComparison.Ordinal);
        }
        using var admin = _server.Admin();
        Assert.Empty((await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes"))!);

        var node = await _server.JoinAsync(key, "box");
        using var patch = await admin.PatchAsJsonAsync($"/api/v1/nodes/{node.NodeId}", new UpdateNodeRequest { Endpoints = ["0.0.0.0:51820"] });
        Assert.Contains("endpoints[0]", (await Http.ProblemAsync(patch, 400)).Errors!.Keys);
        Assert.Equal(["192.0.2.10"], (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{node.NodeId}"))!.Endpoints);
    }

    [Fact]
    public async Task Endpoints_are_capped_at_16_at_join_patch_and_in_reports_alike()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var sixteen = Enumerable.Range(1, 16).Select(i => $"192.0.2.{i}").ToArray();
        var seventeen = Enumerable.Range(1, 17).Select(i => $"192.0.2.{i}").ToArray();

        using (var r = await JoinAsync(key, Valid() with { Endpoints = seventeen }))
        {
            Assert.Contains("at most 16", (await Http.ProblemAsync(r, 400)).Errors!["endpoints"][0], StringComparison.Ordinal);
        }
        var node = await _server.JoinAsync(key, "box", sixteen);
        using var admin = _server.Admin();
        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{node.NodeId}", new UpdateNodeRequest { Endpoints = seventeen }))
        {
            Assert.Contains("endpoints", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }

        // The report path: a report over the cap, or with a refused address, changes nothing; a good one is taken.
        var nodes = _server.Services.GetRequiredService<NodeService>();
        await nodes.ReportAsync(node.NodeId, new NodeReport { ListenPort = 51821, Endpoints = seventeen }, CancellationToken.None);
        await nodes.ReportAsync(node.NodeId, new NodeReport { ListenPort = 51821, Endpoints = ["0.0.0.0:51821"] }, CancellationToken.None);
        await nodes.ReportAsync(node.NodeId, new NodeReport { ListenPort = 51821, Endpoints = ["10.1:51821"] }, CancellationToken.None);
        Assert.Equal(sixteen, (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{node.NodeId}"))!.Endpoints);
        await nodes.ReportAsync(node.NodeId, new NodeReport { ListenPort = 51821, Endpoints = ["198.51.100.1:51821"] }, CancellationToken.None);
        Assert.Equal(["198.51.100.1:51821"], (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{node.NodeId}"))!.Endpoints);
    }

    [Theory]
    [InlineData("hostname", "box\nX-Injected: 1")]
    [InlineData("hostname", "box\u001b[2J")]
    [InlineData("hostname", "box\0")]
    [InlineData("os", "linux\r")]
    [InlineData("os", "\u202Exunil")]
    [InlineData("version", "1.0\t")]
    [InlineData("version", "1.0\u0085")]
    public async Task Join_refuses_control_characters_in_names_naming_the_field(string field, string value)
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var request = field switch
        {
            "hostname" => Valid() with { Hostname = value },
            "os" => Valid() with { Os = value },
            _ => Valid() with { Version = value },
        };
        using var r = await JoinAsync(key, request);
        var problem = await Http.ProblemAsync(r, 400);
        Assert.Equal([field], problem.Errors!.Keys);
        Assert.Contains("control characters", problem.Errors[field][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ext_client_and_node_fields_refuse_control_characters_naming_the_field()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw", "198.51.100.7");
        await s.IngressAsync(gw.NodeId);
        var created = await s.ProblemAsync(s.Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", new CreateExtClientRequest { Gateway = "gw\u001b[2J" }), 400);
        Assert.Contains("control characters", created.Errors!["gateway"][0], StringComparison.Ordinal);
        var named = await s.ProblemAsync(s.Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", new CreateExtClientRequest { Gateway = gw.NodeId, Name = "phone\n" }), 400);
        Assert.Contains("name", named.Errors!.Keys);
        var patched = await s.ProblemAsync(s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{gw.NodeId}", new UpdateNodeRequest { Tags = ["ok", "bad\u0007"] }), 400);
        Assert.Contains("tags[1]", patched.Errors!.Keys);
    }

    [Fact]
    public async Task Every_list_in_a_request_has_a_cap()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        using var admin = _server.Admin();
        var manyTags = Enumerable.Range(0, FieldRules.MaxTags + 1).Select(i => $"t{i}").ToArray();
        using (var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home"], Tags = manyTags }))
        {
            Assert.Contains("tags", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
        var manyNetworks = Enumerable.Repeat("home", EnrollmentKeyService.MaxNetworks + 1).ToArray();
        using (var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = manyNetworks }))
        {
            Assert.Contains("networks", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
        using (var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home", "no\u001bname"] }))
        {
            Assert.Contains("networks[1]", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
        var key = await _server.CreateKeyAsync("home");
        var node = await _server.JoinAsync(key, "box");
        using (var r = await admin.PatchAsJsonAsync($"/api/v1/nodes/{node.NodeId}", new UpdateNodeRequest { Tags = manyTags }))
        {
            Assert.Contains("tags", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
        using (var r = await admin.PutAsJsonAsync($"/api/v1/nodes/{node.NodeId}/egress",
            new EgressRequest { Ranges = Enumerable.Range(0, GatewayValidation.MaxRanges + 1).Select(i => $"172.16.{i}.0/24").ToArray() }))
        {
            Assert.Contains("ranges", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
        using (var r = await admin.PutAsJsonAsync($"/api/v1/nodes/{node.NodeId}/ingress",
            new IngressRequest { Dns = Enumerable.Range(1, GatewayValidation.MaxDnsServers + 1).Select(i => $"192.0.2.{i}").ToArray() }))
        {
            Assert.Contains("dns", (await Http.ProblemAsync(r, 400)).Errors!.Keys);
        }
    }

    [Fact]
    public async Task A_body_over_the_route_limit_is_refused_with_413_problem_json_before_it_is_read()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        using var anon = _server.CreateClient();
        // Valid JSON and a valid key: only the size is wrong, so only the limit can refuse it.
        var padded = Encoding.UTF8.GetBytes($$"""{"key":"{{JoinToken.Decode(key.Token!).Key}}","publicKey":"{{X25519.GenerateKeyPair().PublicKey}}","hostname":"big","pad":"{{new string('x', (int)RequestBodyLimits.Join)}}"}""");
        using (var content = new ByteArrayContent(padded))
        {
            content.Headers.ContentType = new("application/json");
            using var r = await anon.PostAsync("/api/v1/join", content);
            var problem = await Http.ProblemAsync(r, 413);
            Assert.Contains("at most 16384", problem.Detail, StringComparison.Ordinal);
        }
        using var admin = _server.Admin();
        Assert.Empty((await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes"))!);

        // An admin route: 64 KiB.
        var bigNetwork = Encoding.UTF8.GetBytes($$"""{"name":"big","ipv4Cidr":"10.20.0.0/24","pad":"{{new string('x', (int)RequestBodyLimits.Json)}}"}""");
        using (var content = new ByteArrayContent(bigNetwork))
        {
            content.Headers.ContentType = new("application/json");
            using var r = await admin.PostAsync("/api/v1/networks", content);
            await Http.ProblemAsync(r, 413);
        }
        // A route that takes no body.
        using (var content = new ByteArrayContent(new byte[10]))
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/networks/home") { Content = content };
            using var r = await admin.SendAsync(request);
            await Http.ProblemAsync(r, 413);
        }
        Assert.Single((await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks"))!);
    }

    [Fact]
    public async Task Wrong_media_type_unknown_route_and_wrong_method_are_problem_json()
    {
        using var admin = _server.Admin();
        using (var content = new StringContent("{}", Encoding.UTF8, "text/plain"))
        {
            using var r = await admin.PostAsync("/api/v1/networks", content);
            await Http.ProblemAsync(r, 415);
        }
        using (var r = await admin.GetAsync("/api/v1/no-such-route"))
        {
            await Http.ProblemAsync(r, 404);
        }
        using (var r = await admin.PutAsJsonAsync("/api/v1/networks", new CreateNetworkRequest()))
        {
            await Http.ProblemAsync(r, 405);
            Assert.Contains("POST", r.Content.Headers.Allow);
        }
        using (var r = await admin.GetAsync("/api/v1/networks/none"))
        {
            await Http.ProblemAsync(r, 404);
        }
    }

    public void Dispose() => _server.Dispose();
}
