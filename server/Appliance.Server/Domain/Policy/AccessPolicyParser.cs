using System.Globalization;
using System.Text;
using System.Text.Json;
using Appliance.Contracts.Mesh;

namespace Appliance.Server.Domain.Policy;

/// <summary>
/// Parses a policy document (JSON with comments and trailing commas) into an <see cref="AccessPolicy"/> (pure). Every
/// refusal names the line and what is wrong: a syntax error stops at its line; wrong fields, selectors, ports and
/// groups are all collected, so the author learns every mistake at once. Every input is bounded (the constants below).
/// Names are checked against a network by <see cref="AccessPolicyEvaluator.CheckNames"/>, not here.
/// </summary>
public static class AccessPolicyParser
{
    public const int MaxDocumentBytes = 256 * 1024;
    public const int MaxRules = 1000;
    public const int MaxGroups = 256;
    public const int MaxGroupMembers = 1000;
    public const int MaxSelectorsPerSide = 256;
    public const int MaxPortsPerRule = 64;
    public const int MaxTests = 256;
    public const int MaxNameLength = 64;
    private const int MaxErrors = 50;

    /// <summary>The document parsed, or a <see cref="DomainException"/> (Invalid) whose errors list each line's problem under <c>policy</c>.</summary>
    public static AccessPolicy Parse(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxDocumentBytes)
        {
            throw Invalid([$"the document is {bytes.Length} bytes; at most {MaxDocumentBytes}"]);
        }
        var state = new ParseState(bytes);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 8 });
            var policy = ReadDocument(ref reader, state);
            if (reader.Read())
            {
                state.Fail(reader, "text after the end of the document");
            }
            if (state.Errors.Count > 0)
            {
                throw Invalid(state.Errors);
            }
            return policy;
        }
        catch (JsonException e)
        {
            // The reader's own syntax errors carry a 0-based line; its message already says what it expected.
            var line = (e.LineNumber ?? 0) + 1;
            throw Invalid([$"line {line}: not valid JSON: {FirstSentence(e.Message)}"]);
        }
        catch (StopParsing)
        {
            throw Invalid(state.Errors);
        }
    }

    /// <summary>A selector as rules and groups write it (<c>*</c>, <c>tag:X</c>, <c>group:X</c>, <c>node:NAME</c>, a CIDR), or why not.</summary>
    public static bool TryParseSelector(string text, int line, out PolicySelector selector, out string why)
    {
        selector = null!;
        why = string.Empty;
        if (text == "*")
        {
            selector = new PolicySelector(PolicySelectorKind.All, "*", default, line);
            return true;
        }
        foreach (var (prefix, kind) in new[] { ("tag:", PolicySelectorKind.Tag), ("group:", PolicySelectorKind.Group), ("node:", PolicySelectorKind.Node) })
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                var name = text[prefix.Length..];
                if (name.Length is 0 or > MaxNameLength || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == ','))
                {
                    why = $"bad selector \"{Clip(text)}\": the name after '{prefix}' must be 1-{MaxNameLength} characters without spaces";
                    return false;
                }
                selector = new PolicySelector(kind, name, default, line);
                return true;
            }
        }
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (!Cidr.TryParse(text, out var range, out var cidrWhy))
            {
                why = $"bad selector: {cidrWhy}";
                return false;
            }
            selector = new PolicySelector(PolicySelectorKind.Cidr, range.ToString(), range, line);
            return true;
        }
        why = $"bad selector \"{Clip(text)}\": expected *, tag:NAME, group:NAME, node:NAME or a CIDR such as 192.168.1.0/24";
        return false;
    }

    /// <summary>A port spec (<c>tcp:631</c>, <c>udp:8000-8099</c>, <c>tcp:*</c>, <c>icmp</c>, <c>*</c>), or why not.</summary>
    public static bool TryParsePort(string text, out PolicyPort port, out string why)
    {
        port = null!;
        why = string.Empty;
        if (text is FilterRuleDto.Any or FilterRuleDto.Icmp)
        {
            port = new PolicyPort(text, 0, 0);
            return true;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var protocol = colon < 0 ? text : text[..colon];
        if (protocol is not (FilterRuleDto.Tcp or FilterRuleDto.Udp) || colon < 0)
        {
            why = $"bad port spec \"{Clip(text)}\": expected tcp:N, udp:N, a range such as tcp:8000-8099, tcp:*, icmp or *";
            return false;
        }
        var spec = text[(colon + 1)..];
        if (spec == "*")
        {
            port = new PolicyPort(protocol, 1, PolicyPort.MaxPort);
            return true;
        }
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        var fromText = dash < 0 ? spec : spec[..dash];
        var toText = dash < 0 ? spec : spec[(dash + 1)..];
        if (!TryPortNumber(fromText, out var from) || !TryPortNumber(toText, out var to))
        {
            why = $"bad port spec \"{Clip(text)}\": ports are 1-{PolicyPort.MaxPort}";
            return false;
        }
        if (from > to)
        {
            why = $"bad port spec \"{Clip(text)}\": the range starts after it ends";
            return false;
        }
        port = new PolicyPort(protocol, from, to);
        return true;
    }

    private static bool TryPortNumber(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= PolicyPort.MaxPort;

    private static AccessPolicy ReadDocument(ref Utf8JsonReader reader, ParseState state)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            state.Stop(reader, "the document must be one JSON object with \"rules\" (and optionally \"groups\" and \"tests\")");
        }
        var groups = new Dictionary<string, IReadOnlyList<PolicySelector>>(StringComparer.Ordinal);
        List<PolicyRule>? rules = null;
        var tests = new List<PolicyTest>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            if (!seen.Add(field))
            {
                state.Fail(reader, $"\"{Clip(field)}\" appears twice");
            }
            reader.Read();
            switch (field)
            {
                case "groups":
                    ReadGroups(ref reader, state, groups);
                    break;
                case "rules":
                    rules = [];
                    ReadArray(ref reader, state, "rules", MaxRules, (ref Utf8JsonReader r) => rules.Add(ReadRule(ref r, state)));
                    break;
                case "tests":
                    ReadArray(ref reader, state, "tests", MaxTests, (ref Utf8JsonReader r) => tests.Add(ReadTest(ref r, state)));
                    break;
                default:
                    state.Fail(reader, $"unknown field \"{Clip(field)}\" (the document has \"groups\", \"rules\" and \"tests\")");
                    reader.Skip();
                    break;
            }
        }
        if (rules is null)
        {
            state.Fail(reader, "the document has no \"rules\" (an empty list denies every new connection)");
        }
        return new AccessPolicy(groups, rules ?? [], tests);
    }

    private delegate void ElementReader(ref Utf8JsonReader reader);

    // Reads an array of objects, one ElementReader call per element (the reader on its StartObject).
    private static void ReadArray(ref Utf8JsonReader reader, ParseState state, string what, int max, ElementReader read)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            state.Stop(reader, $"\"{what}\" must be a list");
        }
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (++count > max)
            {
                state.Stop(reader, $"\"{what}\" has more than {max} entries");
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                state.Stop(reader, $"each entry of \"{what}\" must be an object");
            }
            read(ref reader);
        }
    }

    private static void ReadGroups(ref Utf8JsonReader reader, ParseState state, Dictionary<string, IReadOnlyList<PolicySelector>> groups)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            state.Stop(reader, "\"groups\" must be an object of \"group:NAME\": [selectors]");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var line = state.Line(reader);
            if (groups.Count >= MaxGroups)
            {
                state.Stop(reader, $"more than {MaxGroups} groups");
            }
            reader.Read();
            var members = ReadStrings(ref reader, state, $"group \"{Clip(name)}\"", MaxGroupMembers);
            if (!TryParseSelector(name, line, out var self, out _) || self.Kind != PolicySelectorKind.Group)
            {
                state.Fail(line, $"bad group name \"{Clip(name)}\": groups are named group:NAME");
                continue;
            }
            if (groups.ContainsKey(self.Value))
            {
                state.Fail(line, $"group \"{Clip(name)}\" is defined twice");
                continue;
            }
            var selectors = new List<PolicySelector>(members.Count);
            foreach (var (text, at) in members)
            {
                if (!TryParseSelector(text, at, out var member, out var why))
                {
                    state.Fail(at, why);
                }
                else if (member.Kind == PolicySelectorKind.Group)
                {
                    // One level only: no cycles to find, and a reader sees a group's members where it is defined.
                    state.Fail(at, $"group \"{Clip(name)}\" names another group ({member}); groups hold tags, nodes and CIDRs");
                }
                else
                {
                    selectors.Add(member);
                }
            }
            groups[self.Value] = selectors;
        }
    }

    private static PolicyRule ReadRule(ref Utf8JsonReader reader, ParseState state)
    {
        var line = state.Line(reader);
        List<PolicySelector>? from = null, to = null;
        List<PolicyPort>? ports = null;
        // How many entries each list had as written: an entry refused above is named already, not as a missing list.
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "from":
                    var f = ReadStrings(ref reader, state, "\"from\"", MaxSelectorsPerSide);
                    (from, written[field]) = (Selectors(f, state), f.Count);
                    break;
                case "to":
                    var t = ReadStrings(ref reader, state, "\"to\"", MaxSelectorsPerSide);
                    (to, written[field]) = (Selectors(t, state), t.Count);
                    break;
                case "ports":
                    var p = ReadStrings(ref reader, state, "\"ports\"", MaxPortsPerRule);
                    (ports, written[field]) = (Ports(p, state), p.Count);
                    break;
                default:
                    state.Fail(reader, $"unknown field \"{Clip(field)}\" in a rule (a rule has \"from\", \"to\" and \"ports\")");
                    reader.Skip();
                    break;
            }
        }
        foreach (var name in new[] { "from", "to", "ports" })
        {
            if (written.GetValueOrDefault(name) == 0)
            {
                state.Fail(line, $"the rule has no \"{name}\" (a rule needs at least one of each of \"from\", \"to\" and \"ports\")");
            }
        }
        return new PolicyRule(from ?? [], to ?? [], ports ?? [], line);
    }

    private static PolicyTest ReadTest(ref Utf8JsonReader reader, ParseState state)
    {
        var line = state.Line(reader);
        PolicySelector? from = null, to = null;
        List<PolicyPort> accept = [], deny = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "from" or "to":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        state.Stop(reader, $"a test's \"{field}\" is one selector (a string)");
                    }
                    var at = state.Line(reader);
                    if (!TryParseSelector(reader.GetString()!, at, out var s, out var why))
                    {
                        state.Fail(at, why);
                    }
                    else if (s.Kind == PolicySelectorKind.Group)
                    {
                        state.Fail(at, $"a test's \"{field}\" names one tag, node or CIDR, not a group ({s})");
                    }
                    else if (field == "from")
                    {
                        from = s;
                    }
                    else
                    {
                        to = s;
                    }
                    break;
                case "accept":
                    accept = Ports(ReadStrings(ref reader, state, "\"accept\"", MaxPortsPerRule), state);
                    break;
                case "deny":
                    deny = Ports(ReadStrings(ref reader, state, "\"deny\"", MaxPortsPerRule), state);
                    break;
                default:
                    state.Fail(reader, $"unknown field \"{Clip(field)}\" in a test (a test has \"from\", \"to\", \"accept\" and \"deny\")");
                    reader.Skip();
                    break;
            }
        }
        if (from is null || to is null)
        {
            state.Fail(line, "the test needs \"from\" and \"to\"");
        }
        if (accept.Count == 0 && deny.Count == 0)
        {
            state.Fail(line, "the test checks nothing: give \"accept\" or \"deny\" ports");
        }
        var none = new PolicySelector(PolicySelectorKind.All, "*", default, line);
        return new PolicyTest(from ?? none, to ?? none, accept, deny, line);
    }

    private static List<PolicySelector> Selectors(List<(string Text, int Line)> texts, ParseState state)
    {
        var list = new List<PolicySelector>(texts.Count);
        foreach (var (text, line) in texts)
        {
            if (TryParseSelector(text, line, out var s, out var why))
            {
                list.Add(s);
            }
            else
            {
                state.Fail(line, why);
            }
        }
        return list;
    }

    private static List<PolicyPort> Ports(List<(string Text, int Line)> texts, ParseState state)
    {
        var list = new List<PolicyPort>(texts.Count);
        foreach (var (text, line) in texts)
        {
            if (TryParsePort(text, out var p, out var why))
            {
                list.Add(p);
            }
            else
            {
                state.Fail(line, why);
            }
        }
        return list;
    }

    private static List<(string Text, int Line)> ReadStrings(ref Utf8JsonReader reader, ParseState state, string what, int max)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            state.Stop(reader, $"{what} must be a list of strings");
        }
        var list = new List<(string, int)>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                state.Stop(reader, $"{what} must be a list of strings");
            }
            if (list.Count >= max)
            {
                state.Stop(reader, $"{what} has more than {max} entries");
            }
            list.Add((reader.GetString()!, state.Line(reader)));
        }
        return list;
    }

    private static DomainException Invalid(IReadOnlyList<string> errors) =>
        new(DomainErrorKind.Invalid, "policy: " + string.Join("; ", errors), new Dictionary<string, string[]> { ["policy"] = [.. errors] });

    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd();

    private static string Clip(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private sealed class StopParsing : Exception;

    // Line numbers from byte offsets (the reader knows only where a token starts), and the errors collected.
    private sealed class ParseState
    {
        private readonly List<int> _lineStarts = [0];

        public ParseState(byte[] bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    _lineStarts.Add(i + 1);
                }
            }
        }

        public List<string> Errors { get; } = [];

        public int Line(in Utf8JsonReader reader)
        {
            var at = _lineStarts.BinarySearch((int)reader.TokenStartIndex);
            return (at < 0 ? ~at - 1 : at) + 1;
        }

        public void Fail(in Utf8JsonReader reader, string message) => Fail(Line(reader), message);

        public void Fail(int line, string message)
        {
            Errors.Add($"line {line}: {message}");
            if (Errors.Count >= MaxErrors)
            {
                throw new StopParsing();
            }
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Stop(in Utf8JsonReader reader, string message)
        {
            Errors.Add($"line {Line(reader)}: {message}");
            throw new StopParsing();
        }
    }
}
