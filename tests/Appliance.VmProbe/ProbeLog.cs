namespace Appliance.VmProbe;

/// <summary>Line protocol between the probe and the host harness (serial console / 9p file).</summary>
public sealed class ProbeLog
{
    public int Failures { get; private set; }

    public void Info(string text) => Console.WriteLine("@@INFO " + text);

    /// <summary>One check: <c>@@CHECK name PASS|FAIL detail</c>; failed checks fail the scenario at its end.</summary>
    public void Check(string name, bool ok, string detail = "")
    {
        Console.WriteLine($"@@CHECK {name} {(ok ? "PASS" : "FAIL")} {detail}");
        if (!ok)
        {
            throw new InvalidOperationException($"check '{name}' failed: {detail}");
        }
    }

    public void Result(string name, bool ok, string detail)
    {
        if (!ok)
        {
            Failures++;
        }
        Console.WriteLine($"@@RESULT {name} {(ok ? "PASS" : "FAIL")} {detail}");
    }

    /// <summary>A benchmark figure as one JSON line.</summary>
    public void Bench(string json) => Console.WriteLine("@@BENCH " + json);
}
