using Appliance.Gateway.Commands;

namespace Appliance.Gateway.Sysctl;

/// <summary>
/// Kernel parameters through the <c>sysctl</c> program, run by a command runner — so with an
/// <c>ip netns exec NS</c> prefix they are read and written in that namespace.
/// </summary>
public sealed class CommandSysctl : ISysctl
{
    private readonly ICommandRunner _runner;

    public CommandSysctl(ICommandRunner runner)
    {
        _runner = runner;
    }

    public async Task<string> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        string[] args = ["-n", key];
        return (await _runner.RunAsync("sysctl", args, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("sysctl", args).StdOut.Trim();
    }

    public async Task WriteAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        string[] args = ["-q", "-w", $"{key}={value}"];
        (await _runner.RunAsync("sysctl", args, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("sysctl", args);
    }
}
