using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport.Arm64;

/// <summary>What the runner printed: one outcome per test, its closing summary, and the architecture it ran on.</summary>
public sealed partial record QemuUserSmokeResult(
    int ExitCode,
    IReadOnlyList<(string Outcome, string Name)> Tests,
    int Passed,
    int Failed,
    int Skipped,
    string Architecture,
    TimeSpan PublishTime,
    TimeSpan RunTime,
    string Output)
{
    public static QemuUserSmokeResult Parse(ProcessResult run, TimeSpan publishTime, TimeSpan runTime)
    {
        var tests = TestLine().Matches(run.StdOut).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var summary = SummaryLine().Match(run.StdOut);
        if (!summary.Success)
        {
            throw new InvalidOperationException($"the smoke runner printed no summary (exit {run.ExitCode})\nstdout: {run.StdOut}\nstderr: {run.StdErr}");
        }
        return new QemuUserSmokeResult(run.ExitCode, tests, int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture),
            summary.Groups[4].Value, publishTime, runTime, run.StdOut + run.StdErr);
    }

    /// <summary>The tests of one class (by its full name's last part) that passed.</summary>
    public IEnumerable<string> PassedIn(string className) =>
        Tests.Where(t => t.Outcome == "PASS" && t.Name.Contains("." + className + ".", StringComparison.Ordinal)).Select(t => t.Name);

    [GeneratedRegex(@"^@@TEST (PASS|FAIL|SKIP) ([^\s:(]+)", RegexOptions.Multiline)]
    private static partial Regex TestLine();

    [GeneratedRegex(@"^@@SUMMARY passed=(\d+) failed=(\d+) skipped=(\d+) seconds=\S+ arch=(\S+)", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();
}
