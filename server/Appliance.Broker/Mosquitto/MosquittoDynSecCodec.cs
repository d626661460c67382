using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// The dynamic-security plugin's wire format: <c>{"commands":[...]}</c> published on <see cref="CommandTopic"/>, and
/// <c>{"responses":[...]}</c> back on <see cref="ResponseTopic"/> (to the sending client only). Pure: bytes in, bytes out.
/// </summary>
public static class MosquittoDynSecCodec
{
    public const string CommandTopic = "$CONTROL/dynamic-security/v1";
    public const string ResponseTopic = "$CONTROL/dynamic-security/v1/response";

    /// <summary>Largest answer read (a page of verbose listings is well under it).</summary>
    public const int MaxResponseBytes = 4 * 1024 * 1024;

    /// <summary>Most commands in one message.</summary>
    public const int MaxCommandsPerMessage = 100;

    /// <summary>
    /// One message of commands, each tagged with correlation data "<paramref name="batch"/>.&lt;index&gt;" so that
    /// an answer is matched to its command, not to whatever arrived next.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<MosquittoDynSecCommand> commands, long batch)
    {
        if (commands.Count is 0 or > MaxCommandsPerMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(commands), commands.Count, $"a message carries 1-{MaxCommandsPerMessage} commands");
        }
        var array = new JsonArray();
        for (var i = 0; i < commands.Count; i++)
        {
            var c = new JsonObject { ["command"] = commands[i].Name };
            foreach (var (key, value) in commands[i].Fields)
            {
                c[key] = value?.DeepClone();
            }
            c["correlationData"] = Correlation(batch, i);
            array.Add(c);
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new JsonObject { ["commands"] = array }.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The correlation data of command <paramref name="index"/> of message <paramref name="batch"/>.</summary>
    public static string Correlation(long batch, int index) =>
        batch.ToString(CultureInfo.InvariantCulture) + "." + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a response message; anything that is not the plugin's format is a <see cref="MosquittoDynSecException"/>.</summary>
    public static List<MosquittoDynSecResponse> Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxResponseBytes)
        {
            throw new MosquittoDynSecException($"the dynamic-security answer is {payload.Length} bytes; at most {MaxResponseBytes} are read");
        }
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 16 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("responses", out var responses) || responses.ValueKind != JsonValueKind.Array)
            {
                throw new MosquittoDynSecException("the dynamic-security answer has no 'responses' array");
            }
            var list = new List<MosquittoDynSecResponse>(responses.GetArrayLength());
            foreach (var r in responses.EnumerateArray())
            {
                list.Add(new MosquittoDynSecResponse(
                    String(r, "command") ?? "",
                    String(r, "error"),
                    String(r, "correlationData"),
                    r.ValueKind == JsonValueKind.Object && r.TryGetProperty("data", out var data) ? data.Clone() : null));
            }
            return list;
        }
        catch (JsonException e)
        {
            throw new MosquittoDynSecException("the dynamic-security answer is not valid JSON: " + e.Message, e);
        }
    }

    /// <summary>The clients of a <c>listClients</c> (verbose) answer, and the plugin's total count.</summary>
    public static (List<MosquittoDynSecClientInfo> Clients, int Total) ReadClients(JsonElement data)
    {
        var clients = new List<MosquittoDynSecClientInfo>();
        foreach (var c in Array(data, "clients"))
        {
            var name = String(c, "username") ?? throw new MosquittoDynSecException("a listed client has no username");
            clients.Add(new MosquittoDynSecClientInfo(name, String(c, "textname"), [.. Array(c, "roles").Select(r => String(r, "rolename")).OfType<string>()]));
        }
        return (clients, Total(data));
    }

    /// <summary>The roles of a <c>listRoles</c> (verbose) answer with their ACLs, and the plugin's total count.</summary>
    public static (List<MosquittoDynSecRoleInfo> Roles, int Total) ReadRoles(JsonElement data)
    {
        var roles = new List<MosquittoDynSecRoleInfo>();
        foreach (var r in Array(data, "roles"))
        {
            var name = String(r, "rolename") ?? throw new MosquittoDynSecException("a listed role has no rolename");
            var acls = Array(r, "acls").Select(a => new MosquittoAclEntry(
                String(a, "acltype") ?? "",
                String(a, "topic") ?? "",
                a.TryGetProperty("allow", out var allow) && allow.ValueKind == JsonValueKind.True,
                a.TryGetProperty("priority", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pi) ? pi : 0)).ToList();
            roles.Add(new MosquittoDynSecRoleInfo(name, String(r, "textname"), acls));
        }
        return (roles, Total(data));
    }

    private static int Total(JsonElement data) =>
        data.TryGetProperty("totalCount", out var t) && t.TryGetInt32(out var n) && n >= 0 ? n : throw new MosquittoDynSecException("a listing has no totalCount");

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
