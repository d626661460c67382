using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Server.Mqtt;

/// <summary>
/// <see cref="IRabbitMqManagement"/> over HTTP(S) with basic auth: each call goes to the node that answered last and
/// moves on to the next management URL when a node cannot be reached (a refusal from a node that answered is final).
/// </summary>
public sealed class RabbitMqManagementClient : IRabbitMqManagement, IDisposable
{
    /// <summary>Longest time one node gets to answer one call.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<Uri> _nodes;
    private readonly HttpClient _http;
    private int _current;

    public RabbitMqManagementClient(IReadOnlyList<Uri> nodes, string adminUser, string adminPassword, X509Certificate2Collection? trustedRoots = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count, nameof(nodes));
        _nodes = nodes;
        var handler = new SocketsHttpHandler();
        if (trustedRoots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
            {
                if (cert is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }
                // The chain must end in one of the given roots, not in the system store.
                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return custom.Build(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
            };
        }
        _http = new HttpClient(handler) { Timeout = CallTimeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(adminUser + ":" + adminPassword)));
    }

    public Task PutUserAsync(string name, string password, string tags, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "users/" + Segment(name), new JsonObject { ["password"] = password, ["tags"] = tags }, cancellationToken);

    public async Task<bool> DeleteUserAsync(string name, CancellationToken cancellationToken)
    {
        var (status, _) = await SendAsync(HttpMethod.Delete, "users/" + Segment(name), null, cancellationToken, allowNotFound: true);
        return status != HttpStatusCode.NotFound;
    }

    public async Task<IReadOnlyList<RabbitMqUser>> ListUsersAsync(CancellationToken cancellationToken)
    {
        var (_, body) = await SendAsync(HttpMethod.Get, "users", null, cancellationToken);
        var users = new List<RabbitMqUser>();
        foreach (var u in JsonNode.Parse(body)?.AsArray() ?? [])
        {
            if (u?["name"]?.GetValue<string>() is not { } name)
            {
                continue;
            }
            // 3.9+ lists tags as an array, older releases as one comma-separated string.
            var tags = u["tags"] switch
            {
                JsonArray a => a.Select(t => t?.GetValue<string>()).OfType<string>().ToList(),
                JsonValue v when v.TryGetValue<string>(out var s) => [.. s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                _ => [],
            };
            users.Add(new RabbitMqUser(name, tags));
        }
        return users;
    }

    public async Task PutUserWithPermissionsAsync(string vhost, string name, string password, string tags, RabbitMqPermissions permissions, CancellationToken cancellationToken)
    {
        // RabbitMQ's put_user applies "permissions" ({vhost: {configure, write, read}}) only when it creates the user:
        // 201 Created says it did; 204 No Content is an update, which left the user's permissions as they were.
        var (status, _) = await SendAsync(HttpMethod.Put, "users/" + Segment(name),
            new JsonObject { ["password"] = password, ["tags"] = tags, ["permissions"] = new JsonObject { [vhost] = ResourcePermissions(permissions) } }, cancellationToken);
        var path = Segment(vhost) + "/" + Segment(name);
        if (status != HttpStatusCode.Created)
        {
            await SendAsync(HttpMethod.Put, "permissions/" + path, ResourcePermissions(permissions), cancellationToken);
        }
        await SendAsync(HttpMethod.Put, "topic-permissions/" + path, TopicPermissions(permissions), cancellationToken);
    }

    public async Task PutPermissionsAsync(string vhost, string user, RabbitMqPermissions permissions, CancellationToken cancellationToken)
    {
        var path = Segment(vhost) + "/" + Segment(user);
        await SendAsync(HttpMethod.Put, "permissions/" + path, ResourcePermissions(permissions), cancellationToken);
        await SendAsync(HttpMethod.Put, "topic-permissions/" + path, TopicPermissions(permissions), cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, RabbitMqPermissions>> ListPermissionsAsync(string vhost, CancellationToken cancellationToken)
    {
        var (_, resourceBody) = await SendAsync(HttpMethod.Get, "vhosts/" + Segment(vhost) + "/permissions", null, cancellationToken);
        var (_, topicBody) = await SendAsync(HttpMethod.Get, "vhosts/" + Segment(vhost) + "/topic-permissions", null, cancellationToken);
        // JsonDocument, not JsonNode: RabbitMQ 3.10 has been seen to list a key twice in one object, which JsonNode refuses.
        using var resources = JsonDocument.Parse(resourceBody);
        using var topics = JsonDocument.Parse(topicBody);
        var topicByUser = new Dictionary<string, (string Write, string Read)>(StringComparer.Ordinal);
        foreach (var t in topics.RootElement.EnumerateArray())
        {
            if (Text(t, "user") is { } user && Text(t, "exchange") == RabbitMqAcl.Exchange && Text(t, "write") is { } w && Text(t, "read") is { } r)
            {
                topicByUser[user] = (w, r);
            }
        }
        var result = new Dictionary<string, RabbitMqPermissions>(StringComparer.Ordinal);
        foreach (var p in resources.RootElement.EnumerateArray())
        {
            if (Text(p, "user") is { } user && topicByUser.TryGetValue(user, out var topic)
                && Text(p, "configure") is { } c && Text(p, "write") is { } w && Text(p, "read") is { } r)
            {
                result[user] = new RabbitMqPermissions(c, w, r, topic.Write, topic.Read);
            }
        }
        return result;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonObject ResourcePermissions(RabbitMqPermissions p) => new() { ["configure"] = p.Configure, ["write"] = p.Write, ["read"] = p.Read };

    private static JsonObject TopicPermissions(RabbitMqPermissions p) => new() { ["exchange"] = RabbitMqAcl.Exchange, ["write"] = p.TopicWrite, ["read"] = p.TopicRead };

    public Task PutQueuePolicyAsync(string vhost, string name, string pattern, IReadOnlyDictionary<string, object> definition, CancellationToken cancellationToken)
    {
        var def = new JsonObject();
        foreach (var (k, v) in definition)
        {
            // "ha-params" of ha-mode "exactly" must be a JSON number: RabbitMQ refuses "2".
            def[k] = v switch
            {
                string text => JsonValue.Create(text),
                int number => JsonValue.Create(number),
                _ => throw new ArgumentException($"policy key '{k}': a value is a string or an int, not {v.GetType().Name}", nameof(definition)),
            };
        }
        return SendAsync(HttpMethod.Put, "policies/" + Segment(vhost) + "/" + Segment(name),
            new JsonObject { ["pattern"] = pattern, ["definition"] = def, ["apply-to"] = "queues", ["priority"] = 0 }, cancellationToken);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken, bool allowNotFound = false)
    {
        var start = Volatile.Read(ref _current);
        Exception? last = null;
        for (var i = 0; i < _nodes.Count; i++)
        {
            var index = (start + i) % _nodes.Count;
            var uri = new Uri(_nodes[index], "/api/" + path);
            using var request = new HttpRequestMessage(method, uri);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // This node is down or slow: the cluster's metadata is the same on the next one.
                last = e;
                continue;
            }
            using (response)
            {
                Volatile.Write(ref _current, index);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
                {
                    return (response.StatusCode, text);
                }
                // A 503 is a node that is up but not serving (starting, or cut off from the cluster): try the next.
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    last = new RabbitMqManagementException($"{method} {uri.AbsolutePath} on {_nodes[index].Authority}: 503");
                    continue;
                }
                throw new RabbitMqManagementException(
                    $"RabbitMQ refused {method} {uri.AbsolutePath} on {_nodes[index].Authority}: {(int)response.StatusCode} {Shorten(text)}");
            }
        }
        throw new RabbitMqManagementException(
            $"no RabbitMQ management API answered {method} /api/{path} (tried {string.Join(", ", _nodes.Select(n => n.Authority))}): {last?.Message}", last);
    }

    // "/" is the default vhost's name, so every path segment is escaped.
    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    public void Dispose() => _http.Dispose();
}
