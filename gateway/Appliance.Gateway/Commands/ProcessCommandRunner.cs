using System.Diagnostics;
using System.Text;

namespace Appliance.Gateway.Commands;

/// <summary>
/// Runs commands as child processes with a hard timeout, optionally behind a prefix such as
/// <c>ip netns exec NS</c> so every firewall and sysctl command lands in that network namespace.
/// </summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    private readonly IReadOnlyList<string> _prefix;
    private readonly TimeSpan _timeout;

    /// <param name="commandPrefix">Arguments placed before the program, e.g. <c>["ip", "netns", "exec", "ns1"]</c>.</param>
    /// <param name="timeout">Per command; 30 s when null.</param>
    public ProcessCommandRunner(IReadOnlyList<string>? commandPrefix = null, TimeSpan? timeout = null)
    {
        _prefix = commandPrefix ?? [];
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    public IReadOnlyList<string> CommandPrefix => _prefix;

    /// <summary>The argv actually executed: prefix, program, arguments (pure; tested).</summary>
    public static IReadOnlyList<string> BuildArgv(IReadOnlyList<string> prefix, string program, IReadOnlyList<string> arguments) =>
        [.. prefix, program, .. arguments];

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var argv = BuildArgv(_prefix, program, arguments);
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        // Tools print translated messages otherwise; callers match nothing but exit codes, logs stay readable.
        psi.Environment["LC_ALL"] = "C";

        Process? started;
        try
        {
            started = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FirewallCommandException($"could not start {argv[0]} (for {program}): {e.Message}", e);
        }
        using var process = started ?? throw new FirewallCommandException($"could not start {argv[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            if (stdin is not null)
            {
                await WriteStdinAsync(process, stdin, timeout.Token).ConfigureAwait(false);
            }
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {_timeout}");
        }
        return new CommandResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static async Task WriteStdinAsync(Process process, string stdin, CancellationToken cancellationToken)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(Encoding.UTF8.GetBytes(stdin), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited before reading everything (e.g. a parse error); its exit code and stderr say why.
        }
    }
}
