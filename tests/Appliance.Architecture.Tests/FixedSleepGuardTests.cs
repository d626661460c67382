using Appliance.TestSupport;

namespace Appliance.Architecture.Tests;

/// <summary>
/// No fixed sleep of a second or more in Unit or Integration tests (issue #14): they wait on the outcome
/// (<see cref="Wait"/>), move a <c>FakeTimeProvider</c>, or prove absence with a later marker. Netns, Vm and Interop
/// tests may wait for real processes.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class FixedSleepGuardTests
{
    private static readonly string[] Fast = [TestCategories.Unit, TestCategories.Integration];

    [Fact]
    public void Unit_and_integration_tests_have_no_fixed_sleep_of_a_second_or_more()
    {
        var tests = RepoPaths.Combine("tests");
        var files = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsGenerated(f) && !Path.GetRelativePath(tests, f).StartsWith("bench", StringComparison.Ordinal) && !IsGuestProgram(tests, f))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("BrokerSessionTests.cs", StringComparison.Ordinal));
        var problems = new List<string>();
        foreach (var file in files)
        {
            foreach (var f in FixedSleepScanner.Scan(File.ReadAllText(file)))
            {
                // A file with no category is a helper that fast tests may call, so it is held to their rule.
                if (f.Duration >= TimeSpan.FromSeconds(1) && (f.Category is null || Fast.Contains(f.Category)))
                {
                    problems.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}:{f.Line}: {f.Code} sleeps {f.Duration.TotalSeconds:0.###} s ({f.Category ?? "no category"})");
                }
            }
        }
        Assert.True(problems.Count == 0, "fixed sleeps of a second or more; wait on the outcome instead (Appliance.TestSupport.Wait), or use a FakeTimeProvider:\n" + string.Join('\n', problems));
    }

    public static TheoryData<string, string, double?, string?> Rows => new()
    {
        { "milliseconds literal", "[Trait(\"Category\", TestCategories.Unit)]\nclass A { async Task T() { await Task.Delay(1100); } }", 1.1, "Unit" },
        { "digit separators", "await Task.Delay(5_000);", 5, null },
        { "Thread.Sleep", "[Trait(\"Category\", \"Integration\")] void T() { Thread.Sleep(2000); }", 2, "Integration" },
        { "TimeSpan.FromSeconds", "await Task.Delay(TimeSpan.FromSeconds(3));", 3, null },
        { "fractional seconds", "await Task.Delay(TimeSpan.FromSeconds(0.5), ct);", 0.5, null },
        { "a constant of the file", "private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(1500);\nawait Task.Delay(Quiet);", 1.5, null },
        { "a const int through two names", "const int Settle = Base; const int Base = 1200; await Task.Delay(Settle);", 1.2, null },
        { "the nearest trait above wins", "[Trait(\"Category\", TestCategories.Netns)] class A { }\n[Trait(\"Category\", TestCategories.Unit)] void T() { Thread.Sleep(1000); }", 1, "Unit" },
        { "a sleep above every trait takes the first", "static Task Settle() => Task.Delay(1000);\n[Trait(\"Category\", TestCategories.Vm)] class A { }", 1, "Vm" },
        { "a computed duration is not a fixed sleep", "await Task.Delay(poll ?? DefaultPoll);", null, null },
        { "an unknown name is not judged", "await Task.Delay(Elsewhere.Quiet);", null, null },
        { "a comment is not code", "// await Task.Delay(5000);\n/* Thread.Sleep(5000); */", null, null },
        { "a string is not code", "var s = \"Task.Delay(5000)\"; var v = @\"Thread.Sleep(\"\"5000\"\")\"; var r = \"\"\"\nTask.Delay(5000)\n\"\"\"; var c = '\"';", null, null },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Scanner_reads_durations_and_categories(string row, string source, double? seconds, string? category)
    {
        var found = FixedSleepScanner.Scan(source);
        if (seconds is null)
        {
            Assert.True(found.Count == 0, row);
            return;
        }
        var f = Assert.Single(found);
        Assert.True(f.Duration == TimeSpan.FromSeconds(seconds.Value) && f.Category == category, $"{row}: {f}");
    }

    private static bool IsGenerated(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    /// <summary>
    /// A program the Vm tests run inside the guest (a *VmProbe project): its waits are what the scenario is about (a
    /// watchdog left unfed until the guest resets, a display left running), and no test host runs it.
    /// </summary>
    private static bool IsGuestProgram(string tests, string file) =>
        Path.GetRelativePath(tests, file).Split(Path.DirectorySeparatorChar)[0].EndsWith("VmProbe", StringComparison.Ordinal);
}
