using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>A network "home" (10.10.0.0/24, fd10::/64) with joined nodes, and helpers for the gateway API.</summary>
public sealed class GatewayScenario : IDisposable
{
    private GatewayScenario(ServerFactory server) => Server = server;

    public ServerFactory Server { get; }
    public HttpClient Admin { get; private set; } = null!;
    public EnrollmentKeyDto Key { get; private set; } = null!;

    /// <param name="clock">The server's clock (a <c>FakeTimeProvider</c>, say); the system clock when null.</param>
    public static async Task<GatewayScenario> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null, bool ipv6 = true, TimeProvider? clock = null)
    {
        var server = new ServerFactory(settings: settings) { TestServices = clock is null ? null : services => services.AddSingleton(clock) };
        var s = new GatewayScenario(server);
        await s.Server.CreateNetworkAsync("home", "10.10.0.0/24", ipv6 ? "fd10::/64" : null);
        s.Key = await s.Server.CreateKeyAsync("home");
        s.Admin = s.Server.Admin();
        return s;
    }

    public Task<JoinResponse> JoinAsync(string name, string endpoint = "192.0.2.10") => Server.JoinAsync(Key, name, [endpoint]);

    public async Task<T> OkAsync<T>(HttpResponseMessage r)
    {
        using (r)
        {
            await Http.EnsureAsync(r);
            return (await r.Content.ReadFromJsonAsync<T>())!;
        }
    }

    public async Task<ProblemDto> ProblemAsync(Task<HttpResponseMessage> call, int status)
    {
        using var r = await call;
        return await Http.ProblemAsync(r, status);
    }

    public async Task<IngressDto> IngressAsync(string nodeId, bool? nat = null, IReadOnlyList<string>? dns = null) =>
        await OkAsync<IngressDto>(await Admin.PutAsJsonAsync($"/api/v1/nodes/{nodeId}/ingress", new IngressRequest { Nat = nat, Dns = dns }));

    public async Task<EgressDto> EgressAsync(string nodeId, params string[] ranges) =>
        await OkAsync<EgressDto>(await Admin.PutAsJsonAsync($"/api/v1/nodes/{nodeId}/egress", new EgressRequest { Ranges = ranges }));

    public async Task<ExtClientDto> ExtClientAsync(string gateway, string? name = null, string? publicKey = null, DateTimeOffset? expiresAt = null) =>
        await OkAsync<ExtClientDto>(await Admin.PostAsJsonAsync("/api/v1/networks/home/ext-clients",
            new CreateExtClientRequest { Gateway = gateway, Name = name, PublicKey = publicKey, ExpiresAt = expiresAt }));

    public async Task<NodeConfigDto> ConfigAsync(JoinResponse node)
    {
        using var c = Server.As(node.Credential);
        return (await c.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!;
    }

    /// <summary>Everything the admin API shows of the network, as text: equal before and after a refused request.</summary>
    public async Task<string> StateAsync() =>
        string.Join("\n",
            await Admin.GetStringAsync("/api/v1/networks/home"),
            await Admin.GetStringAsync("/api/v1/networks/home/nodes"),
            await Admin.GetStringAsync("/api/v1/networks/home/ext-clients"),
            await Admin.GetStringAsync("/api/v1/networks/home/dns"));

    public void Dispose()
    {
        Admin?.Dispose();
        Server.Dispose();
    }
}
