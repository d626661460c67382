using System.Diagnostics;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Appliance.SmokeRunner;

/// <summary>Discovers and runs an assembly's tests with xunit's own framework (the one `dotnet test` loads), reporting each result.</summary>
public static class XunitSmokeRun
{
    public sealed record Summary(int Passed, int Failed, int Skipped, double Seconds);

    public static Summary Run(Assembly assembly, SmokeFilter filter, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        using var diagnostics = new Sink(_ => { });
        using var framework = new XunitTestFramework(diagnostics);
        var cases = new List<ITestCase>();
        using (var discovery = new Sink(m =>
        {
            if (m is ITestCaseDiscoveryMessage found && filter.Matches(found.TestCase))
            {
                cases.Add(found.TestCase);
            }
        }))
        {
            using var discoverer = framework.GetDiscoverer(Reflector.Wrap(assembly));
            discoverer.Find(includeSourceInformation: false, discovery, new Options());
            discovery.WaitForEnd();
        }

        int passed = 0, failed = 0, skipped = 0;
        using var execution = new Sink(m =>
        {
            switch (m)
            {
                case ITestPassed p:
                    passed++;
                    output.WriteLine($"@@TEST PASS {p.Test.DisplayName} ({p.ExecutionTime * 1000:F0} ms)");
                    break;
                case ITestFailed f:
                    failed++;
                    output.WriteLine($"@@TEST FAIL {f.Test.DisplayName}: {string.Join(" | ", f.ExceptionTypes.Zip(f.Messages, (t, s) => $"{t}: {s}"))}");
                    output.WriteLine(string.Join("\n", f.StackTraces.Where(s => s is not null)));
                    break;
                case ITestSkipped s:
                    skipped++;
                    output.WriteLine($"@@TEST SKIP {s.Test.DisplayName}: {s.Reason}");
                    break;
            }
        });
        using var executor = framework.GetExecutor(assembly.GetName());
        // One test at a time: under qemu-user threads only add contention, and the output stays in order.
        var options = new Options();
        options.SetValue("xunit.execution.DisableParallelization", true);
        executor.RunTests(cases, execution, options);
        execution.WaitForEnd();
        return new Summary(passed, failed, skipped, clock.Elapsed.TotalSeconds);
    }

    /// <summary>xunit's message sink: hands each message on, and lets the caller wait for the one that ends discovery or the run.</summary>
    private sealed class Sink(Action<IMessageSinkMessage> onMessage) : Xunit.LongLivedMarshalByRefObject, IMessageSink, IDisposable
    {
        private readonly ManualResetEventSlim _done = new();

        public bool OnMessage(IMessageSinkMessage message)
        {
            lock (_done)
            {
                onMessage(message);
            }
            if (message is ITestAssemblyFinished or IDiscoveryCompleteMessage)
            {
                _done.Set();
            }
            return true;
        }

        /// <summary>Waits for the end of discovery or of the run (xunit runs both on its own threads).</summary>
        public void WaitForEnd() => _done.Wait();

        public void Dispose() => _done.Dispose();
    }

    /// <summary>Discovery and execution options: xunit's defaults unless set.</summary>
    private sealed class Options : Xunit.LongLivedMarshalByRefObject, ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var v) && v is TValue t ? t : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }
}
