using System.Diagnostics;
using Appliance.Gateway.Commands;

namespace Appliance.Bench.Gateway;

/// <summary>Passes commands through and, when tracing, prints each one's duration to stderr (where the time goes).</summary>
internal sealed class TimingRunner(ICommandRunner inner, bool trace) : ICommandRunner
{
    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.RunAsync(program, arguments, stdin, cancellationToken).ConfigureAwait(false);
        if (trace)
        {
            Console.Error.WriteLine($"  {sw.Elapsed.TotalMilliseconds,8:F2} ms  {program} {string.Join(' ', arguments)} (stdin {stdin?.Length ?? 0} B, stdout {r.StdOut.Length} B)");
        }
        return r;
    }
}
