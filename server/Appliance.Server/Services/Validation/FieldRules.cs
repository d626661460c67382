using System.Globalization;
using System.Net;
using System.Net.Sockets;

using Appliance.Server.Domain;

namespace Appliance.Server.Services.Validation;

/// <summary>Checks of fields several requests share; each failure names the field (and index, for lists).</summary>
public static class FieldRules
{
    /// <summary>Endpoints a node may have, at join, admin PATCH and in its status reports alike.</summary>
    public const int MaxEndpoints = 16;

    /// <summary>Tags of a node or an enrollment key.</summary>
    public const int MaxTags = 32;

    /// <summary>The longest endpoint text: a full IPv6 address in brackets with a port is 47 characters.</summary>
    public const int MaxEndpointLength = 64;

    /// <summary>
    /// A node's endpoints: at most <see cref="MaxEndpoints"/>, each <see cref="Endpoint"/>. The same rule serves join,
    /// PATCH and the report path, so no way in takes what another refuses.
    /// </summary>
    public static void Endpoints(IReadOnlyList<string?>? endpoints, ValidationErrors errors)
    {
        if (endpoints is null)
        {
            return;
        }
        if (endpoints.Count > MaxEndpoints)
        {
            errors.Add("endpoints", $"at most {MaxEndpoints} endpoints, got {endpoints.Count}");
            return;
        }
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (Endpoint(endpoints[i]) is { } why)
            {
                errors.Add($"endpoints[{i}]", why);
            }
        }
    }

    /// <summary>
    /// Why <paramref name="text"/> is not a usable endpoint ("IP", "IP:port" or "[IPv6]:port"), or null when it is.
    /// IPv4 must be a full dotted quad: "10.1", "127.1" or "167772161" parse as addresses in .NET (and inet_aton) but
    /// are almost always typos, and a peer can never be reached at an unspecified, broadcast or multicast address.
    /// </summary>
    public static string? Endpoint(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "is empty";
        }
        if (text.Length > MaxEndpointLength)
        {
            return $"is longer than {MaxEndpointLength} characters";
        }
        var quoted = Quote(text);
        if (!Contracts.Endpoints.TryParse(text, 51820, out var endpoint))
        {
            return $"{quoted} is not an IP address or IP:port";
        }
        var address = endpoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // The host part as written ("IP" or "IP:port") must be the address's own dotted-quad spelling.
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var host = colon < 0 ? text : text[..colon];
            if (host != address.ToString())
            {
                return $"{quoted} is not a full dotted-quad IPv4 address (write all four parts, without leading zeros)";
            }
        }
        else if (text.Contains('%', StringComparison.Ordinal))
        {
            return $"{quoted} has an IPv6 zone (scope id), which means nothing to other nodes";
        }
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return $"{quoted} is the unspecified address, which no peer can be reached at";
        }
        if (address.Equals(IPAddress.Broadcast))
        {
            return $"{quoted} is the broadcast address, which no peer can be reached at";
        }
        if (address.IsIPv6Multicast || (address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 224))
        {
            return $"{quoted} is a multicast address, which no peer can be reached at";
        }
        return null;
    }

    public static void Tags(IReadOnlyList<string?>? tags, ValidationErrors errors)
    {
        if (tags is null)
        {
            return;
        }
        if (tags.Count > MaxTags)
        {
            errors.Add("tags", $"at most {MaxTags} tags, got {tags.Count}");
            return;
        }
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]) || tags[i]!.Length > 64 || HasControl(tags[i]))
            {
                errors.Add($"tags[{i}]", "must be 1-64 printable characters");
            }
        }
    }

    /// <summary>
    /// A free-text name a client gives (hostname, os, version): at most <paramref name="max"/> characters, no control
    /// or invisible formatting characters (they would rewrite an admin's terminal or hide text in a log line).
    /// </summary>
    public static void Text(string field, string? value, int max, ValidationErrors errors, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add(field, $"is required (1-{max} characters)");
            }
            return;
        }
        if (value.Length > max)
        {
            errors.Add(field, $"must be at most {max} characters");
        }
        else if (HasControl(value))
        {
            errors.Add(field, "must not contain control characters (such as newline, tab, escape or NUL) or invisible formatting characters");
        }
    }

    /// <summary>True when <paramref name="text"/> has a control (C0, DEL, C1) or format character (bidi overrides, zero-width).</summary>
    public static bool HasControl(string? text)
    {
        foreach (var c in text ?? string.Empty)
        {
            if (char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The value in quotes for an error message, with control characters shown as escapes.</summary>
    public static string Quote(string text) =>
        "'" + string.Concat(text.Select(c => HasControl(c.ToString()) ? $"\\u{(int)c:x4}" : c.ToString())) + "'";
}
