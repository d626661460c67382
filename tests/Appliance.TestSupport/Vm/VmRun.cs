namespace Appliance.TestSupport.Vm;

/// <summary>The outcome of one VM boot: the serial console text and the 9p share directory the guest wrote to.</summary>
public sealed record VmRun(string Console, string ShareDirectory, TimeSpan Elapsed)
{
    /// <summary>Lines starting with <c>@@PREFIX </c>, prefix removed.</summary>
    public IReadOnlyList<string> Lines(string prefix) =>
        [.. Console.Split('\n').Where(l => l.StartsWith("@@" + prefix + " ", StringComparison.Ordinal)).Select(l => l[(prefix.Length + 3)..].TrimEnd())];

    public int? JobExitCode => Lines("JOB").Select(l => l.StartsWith("rc=", StringComparison.Ordinal) && int.TryParse(l[3..], out var rc) ? rc : (int?)null).FirstOrDefault();
}
