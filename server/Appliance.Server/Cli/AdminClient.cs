using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization.Metadata;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;

namespace Appliance.Server.Cli;

/// <summary>The admin CLI's view of the REST API: bearer admin token, TLS pinned to the server's CA.</summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminClient(string server, string token, X509Certificate2? ca)
    {
        var handler = new SocketsHttpHandler();
        if (ca is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = CertificatePin.Callback(ca);
        }
        _http = new HttpClient(handler) { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // The activity log tells the CLI from other holders of the admin token by this.
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    /// <summary>What the CLI calls itself in the User-Agent header.</summary>
    public const string UserAgent = "appliance-server-cli/1";

    /// <summary>
    /// Resolves server URL, token and pin from options, then environment (APPLIANCE_SERVER, APPLIANCE_TOKEN),
    /// then the local data dir (admin.token, ca.crt), so on the server machine no option is needed.
    /// </summary>
    public static AdminClient Create(string? server, string? token, string? fingerprint, string dataDir)
    {
        server ??= Environment.GetEnvironmentVariable("APPLIANCE_SERVER") ?? "https://127.0.0.1:8443";
        token ??= Environment.GetEnvironmentVariable("APPLIANCE_TOKEN");
        var tokenFile = Path.Combine(dataDir, "admin.token");
        if (token is null && File.Exists(tokenFile))
        {
            token = File.ReadAllText(tokenFile).Trim();
        }
        if (string.IsNullOrEmpty(token))
        {
            throw new CliException($"no admin token: pass --token, set APPLIANCE_TOKEN, or run where {tokenFile} exists");
        }
        if (!server.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new AdminClient(server, token, null);
        }
        var caFile = Path.Combine(dataDir, "ca.crt");
        if (fingerprint is not null)
        {
            try
            {
                return new AdminClient(server, token, CertificatePin.FetchCaAsync(new Uri(server.TrimEnd('/') + "/"), fingerprint, CancellationToken.None).GetAwaiter().GetResult());
            }
            catch (Exception e) when (e is CertificatePinException or HttpRequestException)
            {
                throw new CliException(e.Message);
            }
        }
        if (!File.Exists(caFile))
        {
            throw new CliException($"cannot verify {server}: pass --fingerprint (the server's CA SHA-256) or run where {caFile} exists");
        }
        return new AdminClient(server, token, X509Certificate2.CreateFromPem(File.ReadAllText(caFile)));
    }

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), type);

    public Task<T> PostAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = JsonContent.Create(body, bodyType) }, type);

    /// <summary>A POST with no body (an action such as a key rotation).</summary>
    public Task<T> PostAsync<T>(string path, JsonTypeInfo<T> type) => SendAsync(new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')), type);

    public Task<T> PatchAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Patch, path.TrimStart('/')) { Content = JsonContent.Create(body, bodyType) }, type);

    public Task<T> PutAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Put, path.TrimStart('/')) { Content = JsonContent.Create(body, bodyType) }, type);

    /// <summary>A request whose body is <paramref name="text"/> as written (a policy document keeps its comments).</summary>
    public Task<T> SendTextAsync<T>(HttpMethod method, string path, string text, JsonTypeInfo<T> type) =>
        SendAsync(new HttpRequestMessage(method, path.TrimStart('/')) { Content = new StringContent(text, System.Text.Encoding.UTF8, "application/json") }, type);

    /// <summary>A PUT with no body (a switch such as making a node a relay).</summary>
    public Task<T> PutAsync<T>(string path, JsonTypeInfo<T> type) => SendAsync(new HttpRequestMessage(HttpMethod.Put, path.TrimStart('/')), type);

    /// <summary>A non-JSON answer (a config file, an image) as bytes.</summary>
    public async Task<byte[]> GetBytesAsync(string path)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')));
        return await response.Content.ReadAsByteArrayAsync();
    }

    public async Task DeleteAsync(string path)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Delete, path.TrimStart('/')));
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type)
    {
        using var response = await SendRawAsync(request);
        return await response.Content.ReadFromJsonAsync(type) ?? throw new CliException("the server sent an empty answer");
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the server at {_http.BaseAddress}: {e.InnerException?.Message ?? e.Message}");
        }
        finally
        {
            request.Dispose();
        }
        if (!response.IsSuccessStatusCode)
        {
            ProblemDto? problem = null;
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ApplianceJsonContext.Default.ProblemDto);
            }
            catch (System.Text.Json.JsonException)
            {
            }
            response.Dispose();
            throw new CliException($"the server refused ({(int)response.StatusCode}): {problem?.Describe() ?? response.ReasonPhrase}");
        }
        return response;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A CLI failure with a message for the user; the process exits non-zero.</summary>
public sealed class CliException(string message) : Exception(message);
