using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

[Trait("Category", TestCategories.Integration)]
public sealed class NetworkApiTests : IDisposable
{
    private readonly ServerFactory _server = new();

    [Fact]
    public async Task Create_get_patch_delete_with_defaults()
    {
        var created = await _server.CreateNetworkAsync("home", "10.10.0.0/24", "fd10::/64");
        Assert.Equal(new { Port = 51821, Mtu = 1420, Keepalive = 20 }, new { Port = created.ListenPort, created.Mtu, created.Keepalive });
        using var admin = _server.Admin();

        var fetched = await admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home");
        Assert.Equal("fd10::/64", fetched!.Ipv6Cidr);

        using var patch = await admin.PatchAsJsonAsync("/api/v1/networks/home", new UpdateNetworkRequest { Mtu = 1380, Keepalive = 25 });
        await Http.EnsureAsync(patch);
        var patched = await patch.Content.ReadFromJsonAsync<NetworkDto>();
        Assert.Equal((1380, 25, 51821), (patched!.Mtu, patched.Keepalive, patched.ListenPort));
        Assert.True(patched.Version > created.Version);

        var all = await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks");
        Assert.Single(all!);

        using var del = await admin.DeleteAsync("/api/v1/networks/home");
        Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        using var gone = await admin.GetAsync("/api/v1/networks/home");
        await Http.ProblemAsync(gone, 404);
    }

    public static TheoryData<string, string, string> BadNetworks => new()
    {
        { "name not a DNS label", """{"name":"Bad_Name","ipv4Cidr":"10.1.0.0/24"}""", "name" },
        { "missing name", """{"ipv4Cidr":"10.1.0.0/24"}""", "name" },
        { "missing ipv4", """{"name":"a"}""", "ipv4Cidr" },
        { "malformed ipv4", """{"name":"a","ipv4Cidr":"10.1.0.0/40"}""", "ipv4Cidr" },
        { "host bits", """{"name":"a","ipv4Cidr":"10.1.0.7/24"}""", "ipv4Cidr" },
        { "v6 in v6 field wrong family", """{"name":"a","ipv4Cidr":"10.1.0.0/24","ipv6Cidr":"10.2.0.0/24"}""", "ipv6Cidr" },
        { "port zero", """{"name":"a","ipv4Cidr":"10.1.0.0/24","listenPort":0}""", "listenPort" },
        { "mtu too small for v6", """{"name":"a","ipv4Cidr":"10.1.0.0/24","ipv6Cidr":"fd01::/64","mtu":1000}""", "mtu" },
        { "negative keepalive", """{"name":"a","ipv4Cidr":"10.1.0.0/24","keepalive":-1}""", "keepalive" },
    };

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public async Task Bad_fields_are_named_in_problem_json(string row, string body, string field)
    {
        using var admin = _server.Admin();
        using var r = await admin.PostAsync("/api/v1/networks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await Http.ProblemAsync(r, 400);
        Assert.True(problem.Errors?.ContainsKey(field) == true, $"{row}: {problem.Detail}");
        var all = await admin.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks");
        Assert.Empty(all!); // nothing was created
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        using var admin = _server.Admin();
        using var r = await admin.PostAsync("/api/v1/networks", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));
        var problem = await Http.ProblemAsync(r, 400);
        Assert.Contains("JSON", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlapping_ranges_and_duplicate_names_conflict()
    {
        await _server.CreateNetworkAsync("a", "10.20.0.0/16", "fd20::/48");
        using var admin = _server.Admin();
        async Task<ProblemDto> Conflict(CreateNetworkRequest req)
        {
            using var r = await admin.PostAsJsonAsync("/api/v1/networks", req);
            return await Http.ProblemAsync(r, 409);
        }
        var v4 = await Conflict(new CreateNetworkRequest { Name = "b", Ipv4Cidr = "10.20.5.0/24" });
        Assert.Contains("overlaps network 'a'", v4.Errors!["ipv4Cidr"][0], StringComparison.Ordinal);
        var wider = await Conflict(new CreateNetworkRequest { Name = "b", Ipv4Cidr = "10.0.0.0/8" });
        Assert.True(wider.Errors!.ContainsKey("ipv4Cidr"));
        var v6 = await Conflict(new CreateNetworkRequest { Name = "b", Ipv4Cidr = "10.30.0.0/24", Ipv6Cidr = "fd20:0:0:1::/64" });
        Assert.True(v6.Errors!.ContainsKey("ipv6Cidr"));
        var dup = await Conflict(new CreateNetworkRequest { Name = "a", Ipv4Cidr = "10.40.0.0/24" });
        Assert.True(dup.Errors!.ContainsKey("name"));
    }

    [Fact]
    public async Task Network_with_nodes_keeps_its_ranges_and_needs_force_to_delete()
    {
        await _server.CreateNetworkAsync("n", "10.50.0.0/24");
        var key = await _server.CreateKeyAsync("n");
        await _server.JoinAsync(key, "dev1");
        using var admin = _server.Admin();
        using (var r = await admin.PatchAsJsonAsync("/api/v1/networks/n", new UpdateNetworkRequest { Ipv4Cidr = "10.51.0.0/24" }))
        {
            await Http.ProblemAsync(r, 409);
        }
        using (var r = await admin.DeleteAsync("/api/v1/networks/n"))
        {
            var p = await Http.ProblemAsync(r, 409);
            Assert.Contains("force=true", p.Detail, StringComparison.Ordinal);
        }
        using (var r = await admin.DeleteAsync("/api/v1/networks/n?force=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        var nodes = await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes");
        Assert.Empty(nodes!);
    }

    [Fact]
    public async Task A_deleted_network_takes_its_keys_with_it_even_if_the_name_comes_back()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        await _server.CreateNetworkAsync("lab", "10.11.0.0/24");
        var homeOnly = await _server.CreateKeyAsync("home");
        using var admin = _server.Admin();
        using var both = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["home", "lab"] });
        var bothKey = (await both.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!;
        (await admin.DeleteAsync("/api/v1/networks/home?force=true")).Dispose();
        await _server.CreateNetworkAsync("home", "10.12.0.0/24");

        using (var r = await _server.JoinRawAsync(homeOnly, "late"))
        {
            Assert.Contains("not valid", (await Http.ProblemAsync(r, 403)).Detail, StringComparison.Ordinal);
        }
        var keys = await admin.GetFromJsonAsync<List<EnrollmentKeyDto>>("/api/v1/enrollment-keys");
        Assert.Equal(["lab"], Assert.Single(keys!).Networks);
        var joined = await _server.JoinAsync(bothKey, "still-fine");
        Assert.Equal("lab", joined.Network.Name);
    }

    public void Dispose() => _server.Dispose();
}
