using Appliance.Gateway.Commands;

namespace Appliance.TestSupport;

/// <summary>Records every command (program, arguments, stdin) and answers from a handler; no process is started.</summary>
public sealed class FakeCommandRunner : ICommandRunner
{
    private readonly Func<string, IReadOnlyList<string>, string?, CommandResult> _handler;

    public FakeCommandRunner(Func<string, IReadOnlyList<string>, string?, CommandResult>? handler = null)
    {
        _handler = handler ?? ((_, _, _) => Ok());
    }

    public List<RecordedCommand> Commands { get; } = [];

    public static CommandResult Ok(string stdout = "") => new(0, stdout, "");

    public Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        Commands.Add(new RecordedCommand(program, [.. arguments], stdin));
        return Task.FromResult(_handler(program, arguments, stdin));
    }

    /// <summary>Command lines without stdin, e.g. "nft -f -".</summary>
    public IReadOnlyList<string> Lines => [.. Commands.Select(c => c.Line)];
}

public sealed record RecordedCommand(string Program, IReadOnlyList<string> Arguments, string? Stdin)
{
    public string Line => string.Join(' ', [Program, .. Arguments]).Trim();
}
