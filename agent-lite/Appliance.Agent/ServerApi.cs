using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Agent.Http;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;

namespace Appliance.Agent;

/// <summary>
/// The agent's calls to the coordination server over HTTPS pinned to the server's CA, through the agent's own
/// HTTP/1.1 client (<see cref="Http11Client"/>: System.Net.Http is ~0.33 MB of the native binary for four requests).
/// </summary>
public sealed class ServerApi : Mesh.INodeStateSource
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly Http11Client _http;
    private readonly string? _credential;

    public ServerApi(string server, X509Certificate2? ca, string? credential = null)
        : this(BaseOf(server), new TcpHttpConnector(ca is null ? null : CertificatePin.Callback(ca), ca is null ? null : CertificatePin.ChainPolicy(ca)), credential, TimeProvider.System)
    {
    }

    /// <summary>Over any connector (tests pass a fake or a loopback TLS server's), with its clock for the timeouts.</summary>
    internal ServerApi(Uri baseAddress, IHttpConnector connector, string? credential, TimeProvider time)
    {
        BaseAddress = baseAddress;
        _http = new Http11Client(connector, time, ConnectTimeout, RequestTimeout);
        _credential = credential;
    }

    public Uri BaseAddress { get; }

    /// <summary>Gets the server's CA and checks it against the token's fingerprint; the errors say what went wrong.</summary>
    public static Task<X509Certificate2> FetchPinnedCaAsync(string server, string fingerprint, CancellationToken ct) =>
        // Nothing secret is sent on this connection and nothing is trusted until the hash matches.
        FetchPinnedCaAsync(BaseOf(server), new TcpHttpConnector(static (_, _, _, _) => true), fingerprint, TimeProvider.System, ct);

    internal static async Task<X509Certificate2> FetchPinnedCaAsync(Uri server, IHttpConnector connector, string fingerprint, TimeProvider time, CancellationToken ct)
    {
        var http = new Http11Client(connector, time, ConnectTimeout, RequestTimeout);
        var response = await Send(http, server, Request(server, "GET", CertificatePin.CaPath, null, null), ct);
        if (!response.IsSuccess)
        {
            throw new AgentException($"refusing to talk to {server}: it did not serve its CA certificate at /{CertificatePin.CaPath} ({response.StatusCode} {response.ReasonPhrase})");
        }
        try
        {
            return CertificatePin.VerifyCa(Encoding.UTF8.GetString(response.Body), server, fingerprint);
        }
        catch (CertificatePinException e)
        {
            throw new AgentException($"refusing to talk to {server}: {e.Message} (wrong server, or a stale token?)");
        }
    }

    public Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken ct) =>
        SendAsync("POST", "api/v1/join", JsonSerializer.SerializeToUtf8Bytes(request, DeviceJsonContext.Default.JoinRequest), DeviceJsonContext.Default.JoinResponse, "join", ct);

    public Task<NodeConfigDto> GetConfigAsync(CancellationToken ct) =>
        SendAsync("GET", "api/v1/node/config", null, DeviceJsonContext.Default.NodeConfigDto, "config pull", ct);

    public Task<SigningKeyChainDto> GetSigningKeysAsync(CancellationToken ct) =>
        SendAsync("GET", "api/v1/node/signing-keys", null, DeviceJsonContext.Default.SigningKeyChainDto, "signing-key chain", ct);

    /// <summary>Removes this node from the server (its credential stops working).</summary>
    public Task LeaveAsync(CancellationToken ct) =>
        SendAsync<ProblemDto?>("DELETE", "api/v1/node", null, null, "leave", ct);

    private async Task<T> SendAsync<T>(string method, string path, byte[]? json, JsonTypeInfo<T>? type, string what, CancellationToken ct)
    {
        var response = await Send(_http, BaseAddress, Request(BaseAddress, method, path, json, _credential), ct);
        if (!response.IsSuccess)
        {
            ProblemDto? problem = null;
            try
            {
                problem = response.Body.Length == 0 ? null : JsonSerializer.Deserialize(response.Body, DeviceJsonContext.Default.ProblemDto);
            }
            catch (JsonException)
            {
            }
            throw new AgentException($"the server refused the {what} ({response.StatusCode}): {problem?.Describe() ?? response.ReasonPhrase}");
        }
        if (type is null)
        {
            return default!;
        }
        if (response.Body.Length == 0)
        {
            throw new AgentException($"the server sent an empty {what} answer");
        }
        return JsonSerializer.Deserialize(response.Body, type) ?? throw new AgentException($"the server sent an empty {what} answer");
    }

    private static HttpRequest Request(Uri baseAddress, string method, string relative, byte[]? json, string? credential)
    {
        var target = new Uri(baseAddress, relative);
        List<KeyValuePair<string, string>> headers = [new("Accept", "application/json"), new("User-Agent", "appliance-agent")];
        if (json is not null)
        {
            headers.Add(new("Content-Type", "application/json; charset=utf-8"));
        }
        if (credential is not null)
        {
            headers.Add(new("Authorization", "Bearer " + credential));
        }
        return new HttpRequest(method, target.PathAndQuery, target.Authority, headers, json);
    }

    private static async Task<HttpResponse> Send(Http11Client http, Uri server, HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(server, request, ct);
        }
        catch (HttpConnectionException e)
        {
            throw new AgentException($"cannot reach the server at {server}: {e.Message}");
        }
        catch (Http11ProtocolException e)
        {
            throw new AgentException($"the server at {server} sent a bad answer: {e.Message}");
        }
    }

    private static Uri BaseOf(string server) => new(server.TrimEnd('/') + "/");

    // Nothing to release: each request has its own connection, closed when its answer is read.
    public void Dispose()
    {
    }
}
