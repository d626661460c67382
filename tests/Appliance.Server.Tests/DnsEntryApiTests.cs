using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Configuration;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>/api/v1/networks/{name}/dns: custom entries reach every member with the mesh state.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class DnsEntryApiTests
{
    [Fact]
    public async Task Entries_are_created_listed_sent_to_members_and_deleted()
    {
        using var s = await GatewayScenario.CreateAsync(new Dictionary<string, string?> { ["Dns:Suffix"] = "mesh.internal" });
        var a = await s.JoinAsync("a");
        var v0 = (await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version;
        DnsEntryDto printer;
        using (var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "printer", Type = "a", Value = "192.168.1.20" }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            printer = (await r.Content.ReadFromJsonAsync<DnsEntryDto>())!;
            Assert.Equal($"/api/v1/networks/home/dns/{printer.Id}", r.Headers.Location!.OriginalString);
        }
        Assert.Equal(("home", "printer", "A", "192.168.1.20"), (printer.Network, printer.Name, printer.Type, printer.Value));
        await PostAsync(s, "printer", "AAAA", "2001:DB8::20");
        await PostAsync(s, "printer", "A", "192.168.1.21"); // several addresses for one name are fine
        await PostAsync(s, "www.lab", "CNAME", "Printer");
        Assert.True((await s.Admin.GetFromJsonAsync<NetworkDto>("/api/v1/networks/home"))!.Version > v0);

        var list = (await s.Admin.GetFromJsonAsync<List<DnsEntryDto>>("/api/v1/networks/home/dns"))!;
        Assert.Equal(["printer A 192.168.1.20", "printer A 192.168.1.21", "printer AAAA 2001:db8::20", "www.lab CNAME printer"],
            list.Select(d => $"{d.Name} {d.Type} {d.Value}"));
        var dns = (await s.ConfigAsync(a)).Dns!;
        Assert.Equal("home.mesh.internal", dns.Zone);
        Assert.Equal(list.Select(d => new DnsRecordDto(d.Name, d.Type, d.Value)), dns.Records);

        using (var r = await s.Admin.DeleteAsync($"/api/v1/networks/home/dns/{printer.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        Assert.DoesNotContain(new DnsRecordDto("printer", "A", "192.168.1.20"), (await s.ConfigAsync(a)).Dns!.Records);
        await s.ProblemAsync(s.Admin.DeleteAsync($"/api/v1/networks/home/dns/{printer.Id}"), 404);
        await s.ProblemAsync(s.Admin.GetAsync("/api/v1/networks/nope/dns"), 404);
        // A node cannot be renamed onto an entry's name.
        var p = await s.ProblemAsync(s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { Name = "printer" }), 409);
        Assert.True(p.Errors!.ContainsKey("name"));
    }

    [Fact]
    public async Task Bad_entries_are_refused_naming_the_field_and_change_nothing()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw");
        await s.IngressAsync(gw.NodeId);
        await s.ExtClientAsync(gw.NodeId, "phone");
        await PostAsync(s, "nas", "A", "192.168.1.2");
        await PostAsync(s, "alias", "CNAME", "nas");
        var rows = new (string Row, string? Name, string? Type, string? Value, int Status, string Field)[]
        {
            ("no name", null, "A", "192.168.1.1", 400, "name"),
            ("name with a space", "my printer", "A", "192.168.1.1", 400, "name"),
            ("absolute name", "printer.home.", "A", "192.168.1.1", 400, "name"),
            ("upper case name", "Printer", "A", "192.168.1.1", 400, "name"),
            ("unknown type", "x", "MX", "mail", 400, "type"),
            ("A with IPv6", "x", "A", "fd00::1", 400, "value"),
            ("A shorthand", "x", "A", "10.1", 400, "value"),
            ("AAAA with IPv4", "x", "AAAA", "192.168.1.1", 400, "value"),
            ("CNAME not a name", "x", "CNAME", "not a name", 400, "value"),
            ("CNAME to itself", "x", "CNAME", "x", 400, "value"),
            ("a node's name", "gw", "A", "192.168.1.1", 409, "name"),
            ("an ext client's name", "phone", "A", "192.168.1.1", 409, "name"),
            ("exact duplicate", "nas", "A", "192.168.1.2", 409, "name"),
            ("CNAME beside an A", "nas", "CNAME", "gw", 409, "type"),
            ("A beside a CNAME", "alias", "A", "192.168.1.9", 409, "type"),
        };
        var before = await s.StateAsync();
        foreach (var (row, name, type, value, status, field) in rows)
        {
            var p = await s.ProblemAsync(s.Admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = name, Type = type, Value = value }), status);
            Assert.True(p.Errors?.ContainsKey(field) == true, $"{row}: {p.Describe()}");
        }
        Assert.Equal(before, await s.StateAsync());
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("mesh.internal", "mesh.internal")]
    [InlineData("mesh.internal.", "mesh.internal")]
    public void Dns_suffix_setting_parses(string text, string? expected) => Assert.Equal(expected, ServerOptions.ParseDnsSuffix(text));

    [Theory]
    [InlineData("Mesh.Internal")]
    [InlineData(".internal")]
    [InlineData("mesh..internal")]
    [InlineData("mesh internal")]
    public void A_bad_dns_suffix_stops_the_server_with_a_clear_message(string text)
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerOptions.ParseDnsSuffix(text));
        Assert.Contains("Dns:Suffix", e.Message, StringComparison.Ordinal);
        using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Dns:Suffix"] = text });
        Assert.Contains("Dns:Suffix", Assert.ThrowsAny<Exception>(() => server.Started).ToString(), StringComparison.Ordinal);
    }

    private static async Task PostAsync(GatewayScenario s, string name, string type, string value)
    {
        using var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = name, Type = type, Value = value });
        await Http.EnsureAsync(r);
    }
}
