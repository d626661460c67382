using Appliance.TestSupport;

namespace Appliance.Gateway.Tests;

/// <summary>
/// Compares rendered text with tests/Appliance.Gateway.Tests/Golden/NAME. Lines starting with "//" in the golden
/// file are annotations for the reader (what a rule means) and are not part of the expected text.
/// UPDATE_GOLDEN=1 writes a missing golden file instead of failing.
/// </summary>
internal static class GoldenFile
{
    public static void AssertMatches(string name, string actual)
    {
        var path = RepoPaths.Combine("tests", "Appliance.Gateway.Tests", "Golden", name);
        if (!File.Exists(path) && Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"golden file {path} is missing (run with UPDATE_GOLDEN=1 once, then annotate and review it)");
        var expected = string.Join('\n', File.ReadAllText(path).Split('\n').Where(l => !l.StartsWith("//", StringComparison.Ordinal)));
        if (expected != actual)
        {
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            var i = 0;
            while (i < e.Length && i < a.Length && e[i] == a[i])
            {
                i++;
            }
            Assert.Fail($"{name} differs at line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<end>")}\n  actual:   {(i < a.Length ? a[i] : "<end>")}\n--- actual ---\n{actual}");
        }
    }
}
