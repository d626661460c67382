namespace Appliance.Gateway.Commands;

/// <summary>The outcome of one finished command.</summary>
public sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws <see cref="FirewallCommandException"/> when the command failed.</summary>
    public CommandResult EnsureSuccess(string program, IReadOnlyList<string> arguments)
    {
        if (ExitCode != 0)
        {
            throw new FirewallCommandException(program, arguments, this);
        }
        return this;
    }
}
