using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Architecture.Tests;

/// <summary>
/// Finds fixed sleeps in C# test source: <c>Task.Delay</c> and <c>Thread.Sleep</c> whose duration is a literal
/// (milliseconds, or <c>TimeSpan.FromX(n)</c>) or a field or constant of the same file set to one, with the test
/// category that governs each (the nearest <c>[Trait("Category", ...)]</c> above it, else the file's first).
/// Comments and string literals are not code, so a sleep quoted there is not one.
/// </summary>
public static partial class FixedSleepScanner
{
    /// <summary>A sleep in <paramref name="Category"/> (null when the file has no category) of <paramref name="Duration"/> on a 1-based line.</summary>
    public sealed record Finding(int Line, string Code, TimeSpan Duration, string? Category);

    public static IReadOnlyList<Finding> Scan(string source)
    {
        var traits = Trait().Matches(source).Select(m => (m.Index, Category: m.Groups["cat"].Value)).ToList();
        var code = BlankCommentsAndStrings(source);
        var findings = new List<Finding>();
        foreach (Match m in Sleep().Matches(code))
        {
            var open = m.Index + m.Length - 1;
            if (FirstArgument(code, open) is not { } arg || Evaluate(code, arg, depth: 0) is not { } duration)
            {
                continue;
            }
            string? category = null;
            foreach (var t in traits)
            {
                if (t.Index > m.Index)
                {
                    category ??= t.Category;
                    break;
                }
                category = t.Category;
            }
            var line = 1 + source.AsSpan(0, m.Index).Count('\n');
            findings.Add(new Finding(line, source[m.Index..(open + 1 + arg.Length + 1)], duration, category));
        }
        return findings;
    }

    /// <summary>
    /// <paramref name="source"/> with comments and the insides of string and char literals turned to spaces (newlines
    /// kept, so offsets and line numbers stay those of the source).
    /// </summary>
    public static string BlankCommentsAndStrings(string source)
    {
        var c = source.ToCharArray();
        var i = 0;
        while (i < c.Length)
        {
            if (c[i] == '/' && i + 1 < c.Length && c[i + 1] == '/')
            {
                while (i < c.Length && c[i] != '\n')
                {
                    c[i++] = ' ';
                }
            }
            else if (c[i] == '/' && i + 1 < c.Length && c[i + 1] == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? c.Length : end + 2;
                Blank(c, i, end);
                i = end;
            }
            else if (c[i] == '"' && source.AsSpan(i).StartsWith("\"\"\""))
            {
                // Raw string: closed by as many quotes as opened it.
                var quotes = 0;
                while (i + quotes < c.Length && c[i + quotes] == '"')
                {
                    quotes++;
                }
                var end = source.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
                end = end < 0 ? c.Length : end;
                Blank(c, i + quotes, end);
                i = Math.Min(c.Length, end + quotes);
            }
            else if (c[i] == '"')
            {
                var verbatim = (i > 0 && c[i - 1] == '@') || (i > 1 && c[i - 1] == '$' && c[i - 2] == '@');
                i++;
                while (i < c.Length)
                {
                    if (verbatim && c[i] == '"' && i + 1 < c.Length && c[i + 1] == '"')
                    {
                        Blank(c, i, i + 2);
                        i += 2;
                    }
                    else if (!verbatim && c[i] == '\\' && i + 1 < c.Length)
                    {
                        Blank(c, i, i + 2);
                        i += 2;
                    }
                    else if (c[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        Blank(c, i, i + 1);
                        i++;
                    }
                }
            }
            else if (c[i] == '\'')
            {
                var end = i + 1;
                while (end < c.Length && c[end] != '\'' && c[end] != '\n')
                {
                    end += c[end] == '\\' ? 2 : 1;
                }
                Blank(c, i + 1, Math.Min(end, c.Length));
                i = end + 1;
            }
            else
            {
                i++;
            }
        }
        return new string(c);
    }

    private static void Blank(char[] c, int from, int to)
    {
        for (var i = from; i < to && i < c.Length; i++)
        {
            if (c[i] != '\n')
            {
                c[i] = ' ';
            }
        }
    }

    /// <summary>The first argument of the call whose '(' is at <paramref name="open"/>, or null when unbalanced.</summary>
    private static string? FirstArgument(string source, int open)
    {
        var depth = 0;
        for (var i = open + 1; i < source.Length; i++)
        {
            switch (source[i])
            {
                case '(':
                    depth++;
                    break;
                case ')' when depth == 0:
                case ',' when depth == 0:
                    return source[(open + 1)..i].Trim();
                case ')':
                    depth--;
                    break;
            }
        }
        return null;
    }

    /// <summary>The duration <paramref name="expression"/> stands for, when it is a literal or a same-file name for one.</summary>
    private static TimeSpan? Evaluate(string source, string expression, int depth)
    {
        expression = expression.Trim();
        if (Milliseconds().Match(expression) is { Success: true } ms)
        {
            return TimeSpan.FromMilliseconds(Number(ms.Groups["n"].Value));
        }
        if (FromUnit().Match(expression) is { Success: true } from)
        {
            var n = Number(from.Groups["n"].Value);
            return from.Groups["unit"].Value switch
            {
                "Milliseconds" => TimeSpan.FromMilliseconds(n),
                "Seconds" => TimeSpan.FromSeconds(n),
                "Minutes" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        }
        // A name (Quiet, Settle.Time): follow its declaration in this file, a few steps at most.
        if (depth < 3 && Name().Match(expression) is { Success: true } name)
        {
            var last = name.Value[(name.Value.LastIndexOf('.') + 1)..];
            var declaration = new Regex(@"\b" + Regex.Escape(last) + @"\s*=\s*(?<value>[^;{]+);").Match(source);
            if (declaration.Success)
            {
                return Evaluate(source, declaration.Groups["value"].Value, depth + 1);
            }
        }
        return null;
    }

    private static double Number(string text) => double.Parse(text.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\b(?:Task\.Delay|Thread\.Sleep)\s*\(")]
    private static partial Regex Sleep();

    [GeneratedRegex(@"Trait\(\s*""Category""\s*,\s*(?:TestCategories\.(?<cat>\w+)|""(?<cat>\w+)"")\s*\)")]
    private static partial Regex Trait();

    [GeneratedRegex(@"^(?<n>\d[\d_]*)$")]
    private static partial Regex Milliseconds();

    [GeneratedRegex(@"^(?:System\.)?TimeSpan\.From(?<unit>Milliseconds|Seconds|Minutes|Hours)\(\s*(?<n>\d[\d_]*(?:\.\d+)?)\s*\)$")]
    private static partial Regex FromUnit();

    [GeneratedRegex(@"^[A-Za-z_][\w.]*$")]
    private static partial Regex Name();
}
