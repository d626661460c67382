using Xunit.Abstractions;

namespace Appliance.SmokeRunner;

/// <summary>Which test cases run: all given traits must match (Name=Value), and the class must start with one of the prefixes, if any.</summary>
public sealed class SmokeFilter
{
    private readonly List<(string Name, string Value)> _traits = [];
    private readonly List<string> _classPrefixes = [];

    public static SmokeFilter Parse(ReadOnlySpan<string> args)
    {
        var filter = new SmokeFilter();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--trait" when value.Split('=', 2) is [{ Length: > 0 } name, { Length: > 0 } v]:
                    filter._traits.Add((name, v));
                    break;
                case "--trait":
                    throw new ArgumentException($"--trait takes Name=Value, not '{value}'");
                case "--class":
                    filter._classPrefixes.Add(value);
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
            i++;
        }
        return filter;
    }

    public bool Matches(ITestCase test)
    {
        foreach (var (name, value) in _traits)
        {
            if (!test.Traits.TryGetValue(name, out var values) || !values.Contains(value, StringComparer.Ordinal))
            {
                return false;
            }
        }
        var className = test.TestMethod.TestClass.Class.Name;
        return _classPrefixes.Count == 0 || _classPrefixes.Any(p => className.StartsWith(p, StringComparison.Ordinal));
    }
}
