using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Contracts;

/// <summary>
/// What a device needs to join: the server URL, the enrollment key, and the SHA-256 fingerprint of the
/// server's CA certificate (absent for an explicitly plain-HTTP server). Carried as base64url JSON.
/// </summary>
public sealed record JoinToken(
    [property: JsonPropertyName("server")] string Server,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("fp")] string? Fingerprint,
    [property: JsonPropertyName("exp")] DateTimeOffset? ExpiresAt = null)
{
    /// <summary>The token as the user copies it: base64url (no padding) of the JSON.</summary>
    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, DeviceJsonContext.Default.JoinToken);
        return Base64Url.EncodeToString(json);
    }

    /// <summary>Decodes and validates a token; the exception message names what is wrong.</summary>
    public static JoinToken Decode(string token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new JoinTokenException("the join token is empty");
        }
        byte[] json;
        try
        {
            json = Base64Url.DecodeFromChars(token.Trim());
        }
        catch (FormatException)
        {
            throw new JoinTokenException("the join token is not base64url text (was it copied completely?)");
        }
        JoinToken? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(json, DeviceJsonContext.Default.JoinToken);
        }
        catch (JsonException)
        {
            throw new JoinTokenException("the join token does not contain valid JSON (was it copied completely?)");
        }
        if (parsed is null)
        {
            throw new JoinTokenException("the join token is empty");
        }
        parsed.Validate();
        return parsed;
    }

    private void Validate()
    {
        if (string.IsNullOrEmpty(Server) || !Uri.TryCreate(Server, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
        {
            throw new JoinTokenException("the join token's server is not an http(s) URL");
        }
        if (string.IsNullOrEmpty(Key))
        {
            throw new JoinTokenException("the join token has no enrollment key");
        }
        if (uri.Scheme == "https")
        {
            if (Fingerprint is null || Fingerprint.Length != 64 || !Fingerprint.All(Uri.IsHexDigit))
            {
                throw new JoinTokenException("the join token's certificate fingerprint is missing or not 64 hex digits");
            }
        }
        else if (Fingerprint is not null)
        {
            throw new JoinTokenException("the join token has a certificate fingerprint but a plain http server URL");
        }
    }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && e <= now;
}

/// <summary>A join token that cannot be used; the message says why.</summary>
public sealed class JoinTokenException(string message) : Exception(message);
