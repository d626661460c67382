using System.Net;
using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>Every mapped route needs a credential unless it is on the explicit public list.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed partial class AuthScanTests : IDisposable
{
    /// <summary>The web console's pages, files and sign-in: public (the page itself sends a signed-out browser to /login).</summary>
    private static readonly HashSet<string> ConsolePublic = ["/", "/login", "/console/{file}", "/console/sign-in"];

    private static readonly HashSet<string> Public = ["/healthz", "/openapi/{documentName}.json", "/api/v1/join", "/ca.crt", .. ConsolePublic];
    private static readonly HashSet<string> NodeRoutes = ["/api/v1/node/config", "/api/v1/node", "/api/v1/node/signing-keys"];

    private readonly ServerFactory _server = new();

    private List<(string Method, string Pattern)> Routes()
    {
        _ = _server.Started; // builds the host
        return _server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.Trim('/'))))
            .Distinct()
            .ToList();
    }

    private static string Concrete(string pattern) => Param().Replace(pattern, m => m.Groups[1].Value == "documentName" ? "v1" : "x");

    [GeneratedRegex(@"\{([^}:]+)[^}]*\}")]
    private static partial Regex Param();

    [Fact]
    public async Task Every_route_outside_the_public_list_refuses_anonymous_callers()
    {
        var routes = Routes();
        Assert.True(routes.Count >= 15, $"expected the whole API, found {routes.Count} routes");
        Assert.Superset(Public.ToHashSet(), routes.Select(r => r.Pattern).ToHashSet()); // the public list is real
        using var anon = _server.CreateClient();
        var failures = new List<string>();
        foreach (var (method, pattern) in routes.Where(r => !Public.Contains(r.Pattern)))
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern)) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await anon.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{method} {pattern} -> {(int)response.StatusCode}");
            }
            using var forged = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern)) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            forged.Headers.Authorization = new("Bearer", "apa.forged-admin-token");
            using var forgedResponse = await anon.SendAsync(forged);
            if (forgedResponse.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{method} {pattern} with a forged token -> {(int)forgedResponse.StatusCode}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Node_credentials_cannot_use_admin_routes_and_admin_cannot_act_as_a_node()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var node = await _server.JoinAsync(await _server.CreateKeyAsync("home"), "n");
        using var asNode = _server.As(node.Credential);
        using var admin = _server.Admin();
        var failures = new List<string>();
        foreach (var (method, pattern) in Routes().Where(r => !Public.Contains(r.Pattern)))
        {
            var client = NodeRoutes.Contains(pattern) ? admin : asNode;
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern)) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Forbidden)
            {
                failures.Add($"{method} {pattern} -> {(int)response.StatusCode}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Public_routes_answer_without_credentials()
    {
        using var anon = _server.CreateClient();
        Assert.Equal("{\"status\":\"ok\"}", await anon.GetStringAsync("/healthz"));
        var pem = await anon.GetStringAsync("/ca.crt");
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem, StringComparison.Ordinal);
        using var openApi = System.Text.Json.JsonDocument.Parse(await anon.GetStringAsync("/openapi/v1.json"));
        var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        // The console's routes are not the API: they are left out of its description.
        foreach (var route in Routes().Select(r => r.Pattern).Where(p => p is not "/openapi/{documentName}.json" and not "/ca.crt" && !p.StartsWith("/console", StringComparison.Ordinal) && !ConsolePublic.Contains(p)))
        {
            Assert.Contains(route.TrimEnd('/') is { Length: > 0 } t ? t : "/", paths);
        }
    }

    public void Dispose() => _server.Dispose();
}
