using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// Every body-taking route gets mutated bodies (values of the wrong type or out of range, removed and unknown
/// fields, broken bytes, other media types) and every id-taking route odd ids: the server answers each within a
/// bound with a problem+json refusal or a success, never a 500, and still works afterwards.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ApiFuzzTests
{
    private const int CasesPerRoute = 200;
    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Mutated_bodies_on_every_route_never_fail_the_server()
    {
        using var server = new ServerFactory();
        var world = await FuzzWorld.CreateAsync(server);
        var failures = new List<string>();
        foreach (var route in world.BodyRoutes())
        {
            var rng = new Random(StableSeed(route.Method + route.Path));
            for (var i = 0; i < CasesPerRoute; i++)
            {
                var (body, mediaType) = MakeCase(route.Seed, rng);
                using var client = route.Anonymous ? server.CreateClient() : server.Admin();
                await SendAndCheckAsync(client, route.Method, route.Path, body, mediaType, failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        await world.AssertStillServingAsync();
    }

    [Fact]
    public async Task Odd_ids_and_query_values_on_every_route_never_fail_the_server()
    {
        using var server = new ServerFactory();
        var world = await FuzzWorld.CreateAsync(server);
        string[] odd =
        [
            // (NUL in a path is refused by the HTTP layer before routing; the test host cannot even send it.)
            "x", "%0a", "%01", "..%2f..%2fetc", "%ff%fe", new string('a', 4000), "%C3%28", "-1", "0", "null", "%20",
            world.NodeId + "%2f..", "%F0%9F%98%80",
        ];
        string[] templates =
        [
            "GET /api/v1/networks/{x}", "PATCH /api/v1/networks/{x}", "DELETE /api/v1/networks/{x}?force={x}",
            "GET /api/v1/networks/{x}/nodes", "GET /api/v1/nodes/{x}", "PATCH /api/v1/nodes/{x}", "DELETE /api/v1/nodes/{x}",
            "DELETE /api/v1/enrollment-keys/{x}", "PUT /api/v1/nodes/{x}/ingress", "DELETE /api/v1/nodes/{x}/ingress?force={x}",
            "PUT /api/v1/nodes/{x}/egress", "DELETE /api/v1/nodes/{x}/egress", "GET /api/v1/networks/{x}/ext-clients",
            "POST /api/v1/networks/{x}/ext-clients", "GET /api/v1/ext-clients/{x}", "PATCH /api/v1/ext-clients/{x}",
            "DELETE /api/v1/ext-clients/{x}", "GET /api/v1/ext-clients/{x}/config", "GET /api/v1/ext-clients/{x}/qr?format={x}",
            "GET /api/v1/networks/{x}/dns", "POST /api/v1/networks/{x}/dns", "DELETE /api/v1/networks/{x}/dns/{x}",
            $"GET /api/v1/ext-clients/{world.ExtClientId}/qr?format={{x}}", $"DELETE /api/v1/networks/home/dns/{{x}}",
        ];
        var failures = new List<string>();
        using var admin = server.Admin();
        foreach (var template in templates)
        {
            foreach (var x in odd)
            {
                var parts = template.Split(' ', 2);
                var body = parts[0] is "PATCH" or "PUT" or "POST" ? "{}" : null;
                await SendAndCheckAsync(admin, parts[0], parts[1].Replace("{x}", x, StringComparison.Ordinal), body, "application/json", failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        await world.AssertStillServingAsync();
    }

    private static async Task SendAndCheckAsync(HttpClient client, string method, string path, string? body, string? mediaType, List<string> failures)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = mediaType is null ? null : MediaTypeHeaderValue.Parse(mediaType);
        }
        using var timeout = new CancellationTokenSource(PerRequest);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            failures.Add($"{method} {path} did not answer within {PerRequest.TotalSeconds} s; body: {Shorten(body)}");
            return;
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                failures.Add($"{method} {path} -> {status}; body: {Shorten(body)} ({mediaType}); answer: {Shorten(text)}");
            }
            else if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{method} {path} -> {status} as '{response.Content.Headers.ContentType}', not problem+json; body: {Shorten(body)}");
            }
        }
    }

    /// <summary>One mutated case from a valid body: JSON-level most of the time, byte-level or another media type otherwise.</summary>
    private static (string Body, string? MediaType) MakeCase(JsonObject seed, Random rng)
    {
        var roll = rng.Next(100);
        if (roll < 70)
        {
            var doc = seed.DeepClone();
            var count = 1 + rng.Next(3);
            for (var i = 0; i < count; i++)
            {
                doc = MutateJson(doc, rng);
            }
            return (doc?.ToJsonString() ?? "null", "application/json");
        }
        var text = seed.ToJsonString();
        if (roll < 75)
        {
            // Nesting deeper than any reader should follow, in place of one value.
            var deep = new string('[', 5000) + new string(']', 5000);
            return (text.Replace(":", ":" + deep + ",\"y\":", StringComparison.Ordinal), "application/json");
        }
        if (roll < 90)
        {
            return (MutateBytes(text, rng), "application/json");
        }
        string?[] mediaTypes = ["text/plain", "application/xml", null, "application/x-www-form-urlencoded", "application/json; charset=utf-16"];
        return (text, mediaTypes[rng.Next(mediaTypes.Length)]);
    }

    private static JsonNode? MutateJson(JsonNode? doc, Random rng)
    {
        if (doc is not JsonObject obj || obj.Count == 0 || rng.Next(12) == 0)
        {
            return Interesting(rng);
        }
        var names = obj.Select(kv => kv.Key).ToArray();
        var name = names[rng.Next(names.Length)];
        switch (rng.Next(6))
        {
            case 0:
                obj.Remove(name);
                break;
            case 1:
                obj["x" + rng.Next(1000)] = Interesting(rng);
                break;
            case 2 when obj[name] is JsonArray array:
                // A list of many copies of one element, or an element of the wrong type.
                if (rng.Next(2) == 0)
                {
                    var element = array.Count > 0 ? array[0]?.ToJsonString() : "\"x\"";
                    var many = new JsonArray();
                    for (var i = 0; i < 2000; i++)
                    {
                        many.Add(JsonNode.Parse(element ?? "null"));
                    }
                    obj[name] = many;
                }
                else
                {
                    array.Add(Interesting(rng));
                }
                break;
            default:
                obj[name] = Interesting(rng);
                break;
        }
        return obj;
    }

    private static JsonNode? Interesting(Random rng)
    {
        string[] values =
        [
            "null", "true", "0", "-1", "65536", "2147483647", "-2147483648", "9223372036854775807", "1e308", "-0.0", "1.5",
            "\"\"", "\" \"", "\"\\u0000\"", "\"a\\nb\"", "\"\\u001b[31m\"", $"\"{new string('a', 5000)}\"", "\"../../etc/passwd\"",
            "\"0.0.0.0\"", "\"255.255.255.255:0\"", "\"::\"", "\"[::1]:99999\"", "\"10.0.0.0/33\"", "\"fd00::/129\"",
            "\"10.1\"", "\"224.0.0.1\"", "\"AAAA\"", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", "\"😀\"",
            "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00Z\"", "\"not a date\"", "[]", "{}", "[1,2,3]", "[null]",
            "{\"a\":{\"b\":{}}}", "[\"x\",\"x\"]",
        ];
        return JsonNode.Parse(values[rng.Next(values.Length)]);
    }

    private static string MutateBytes(string text, Random rng)
    {
        var chars = text.ToCharArray().ToList();
        switch (rng.Next(4))
        {
            case 0:
                return text[..rng.Next(text.Length)];
            case 1:
                chars.Insert(rng.Next(chars.Count + 1), (char)rng.Next(0, 128));
                break;
            case 2:
                chars[rng.Next(chars.Count)] = "{}[]\",:\\0 "[rng.Next(10)];
                break;
            default:
                var start = rng.Next(chars.Count);
                var length = rng.Next(Math.Min(20, chars.Count - start) + 1);
                chars.InsertRange(start, chars.GetRange(start, length));
                break;
        }
        return new string(chars.ToArray());
    }

    private static int StableSeed(string s)
    {
        var h = 17;
        foreach (var c in s)
        {
            h = unchecked((h * 31) + c);
        }
        return h;
    }

    private static string Shorten(string? s) => s is null ? "(none)" : s.Length <= 300 ? s : s[..300] + $"… ({s.Length} chars)";

    /// <summary>A network with a joined gateway node, an ext client and a DNS entry, and a valid body for each route.</summary>
    private sealed class FuzzWorld
    {
        private readonly ServerFactory _server;
        private string _credential = "";
        private string _keySecret = "";

        private FuzzWorld(ServerFactory server) => _server = server;

        public string NodeId { get; private set; } = "";
        public string ExtClientId { get; private set; } = "";

        public static async Task<FuzzWorld> CreateAsync(ServerFactory server)
        {
            var world = new FuzzWorld(server);
            await server.CreateNetworkAsync("home", "10.20.0.0/16", "fd20::/64");
            var key = await server.CreateKeyAsync("home");
            world._keySecret = Appliance.Contracts.JoinToken.Decode(key.Token!).Key;
            var node = await server.JoinAsync(key, "gw");
            world.NodeId = node.NodeId;
            world._credential = node.Credential;
            using var admin = server.Admin();
            await Http.EnsureAsync(await admin.PutAsJsonAsync($"/api/v1/nodes/{node.NodeId}/ingress", new IngressRequest()));
            using var r = await admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients", new CreateExtClientRequest { Name = "phone", Gateway = node.NodeId });
            await Http.EnsureAsync(r);
            world.ExtClientId = (await r.Content.ReadFromJsonAsync<ExtClientDto>())!.Id;
            await Http.EnsureAsync(await admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "printer", Type = "A", Value = "10.20.0.99" }));
            return world;
        }

        public IEnumerable<(string Method, string Path, JsonObject Seed, bool Anonymous)> BodyRoutes()
        {
            var key = Appliance.Crypto.X25519.GenerateKeyPair().PublicKey.ToString();
            yield return ("POST", "/api/v1/join", Obj($$"""{"key":"{{_keySecret}}","publicKey":"{{key}}","hostname":"fuzz","listenPort":51821,"endpoints":["192.0.2.10"],"os":"linux","version":"1.0","network":"home"}"""), true);
            yield return ("POST", "/api/v1/networks", Obj("""{"name":"lab","ipv4Cidr":"10.30.0.0/24","ipv6Cidr":"fd30::/64","listenPort":51822,"mtu":1400,"keepalive":25}"""), false);
            yield return ("PATCH", "/api/v1/networks/home", Obj("""{"listenPort":51821,"mtu":1420,"keepalive":20}"""), false);
            yield return ("POST", "/api/v1/enrollment-keys", Obj("""{"networks":["home"],"uses":3,"expiresAt":"2030-01-01T00:00:00Z","tags":["office"]}"""), false);
            yield return ("PATCH", $"/api/v1/nodes/{NodeId}", Obj("""{"name":"gw","listenPort":51821,"endpoints":["192.0.2.10"],"tags":["office"]}"""), false);
            yield return ("PUT", $"/api/v1/nodes/{NodeId}/ingress", Obj("""{"nat":true,"dns":["10.20.0.1"]}"""), false);
            yield return ("PUT", $"/api/v1/nodes/{NodeId}/egress", Obj("""{"ranges":["192.168.1.0/24"],"nat":true}"""), false);
            yield return ("POST", "/api/v1/networks/home/ext-clients", Obj($$"""{"name":"laptop","gateway":"{{NodeId}}","publicKey":"{{key}}","enabled":true,"expiresAt":"2030-01-01T00:00:00Z"}"""), false);
            yield return ("PATCH", $"/api/v1/ext-clients/{ExtClientId}", Obj("""{"name":"phone","enabled":true,"expiresAt":"2030-01-01T00:00:00Z","clearExpiry":false}"""), false);
            yield return ("POST", "/api/v1/networks/home/dns", Obj("""{"name":"nas","type":"A","value":"10.20.0.98"}"""), false);
        }

        /// <summary>After the fuzzing the server still answers valid requests, and the node still gets its config.</summary>
        public async Task AssertStillServingAsync()
        {
            using var admin = _server.Admin();
            var networks = await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks");
            Assert.Contains(networks!, n => n.Name == "home");
            using var node = _server.As(_credential);
            using var config = await node.GetAsync("/api/v1/node/config");
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        }

        private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
    }
}
