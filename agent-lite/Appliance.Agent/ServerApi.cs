using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;

namespace Appliance.Agent;

/// <summary>The agent's calls to the coordination server over HTTPS pinned to the server's CA.</summary>
public sealed class ServerApi : Mesh.INodeStateSource
{
    private readonly HttpClient _http;

    public ServerApi(string server, X509Certificate2? ca, string? credential = null)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (ca is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = CertificatePin.Callback(ca);
        }
        _http = new HttpClient(handler) { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (credential is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Gets the server's CA and checks it against the token's fingerprint; the errors say what went wrong.</summary>
    public static async Task<X509Certificate2> FetchPinnedCaAsync(string server, string fingerprint, CancellationToken ct)
    {
        try
        {
            return await CertificatePin.FetchCaAsync(new Uri(server.TrimEnd('/') + "/"), fingerprint, ct);
        }
        catch (CertificatePinException e)
        {
            throw new AgentException($"refusing to talk to {server}: {e.Message} (wrong server, or a stale token?)");
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(server, e);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AgentException($"cannot reach the server at {server}: timed out");
        }
    }

    public Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/v1/join", JsonContent.Create(request, DeviceJsonContext.Default.JoinRequest), DeviceJsonContext.Default.JoinResponse, "join", ct);

    public Task<NodeConfigDto> GetConfigAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/v1/node/config", null, DeviceJsonContext.Default.NodeConfigDto, "config pull", ct);

    public Task<SigningKeyChainDto> GetSigningKeysAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/v1/node/signing-keys", null, DeviceJsonContext.Default.SigningKeyChainDto, "signing-key chain", ct);

    /// <summary>Removes this node from the server (its credential stops working).</summary>
    public Task LeaveAsync(CancellationToken ct) =>
        SendAsync<ProblemDto?>(HttpMethod.Delete, "api/v1/node", null, null, "leave", ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T>? type, string what, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(_http.BaseAddress!.ToString(), e);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AgentException($"cannot reach the server at {_http.BaseAddress}: timed out");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                ProblemDto? problem = null;
                try
                {
                    problem = await response.Content.ReadFromJsonAsync(DeviceJsonContext.Default.ProblemDto, ct);
                }
                catch (JsonException)
                {
                }
                throw new AgentException($"the server refused the {what} ({(int)response.StatusCode}): {problem?.Describe() ?? response.ReasonPhrase}");
            }
            if (type is null)
            {
                return default!;
            }
            return await response.Content.ReadFromJsonAsync(type, ct) ?? throw new AgentException($"the server sent an empty {what} answer");
        }
    }

    private static AgentException Unreachable(string server, HttpRequestException e) =>
        new($"cannot reach the server at {server}: {e.InnerException?.Message ?? e.Message}");

    public void Dispose() => _http.Dispose();
}
