namespace Appliance.Gateway.Commands;

/// <summary>A firewall or sysctl command failed; carries the command line, exit code and its stderr.</summary>
public sealed class FirewallCommandException : Exception
{
    public FirewallCommandException(string program, IReadOnlyList<string> arguments, CommandResult result)
        : base($"{program} {string.Join(' ', arguments)} exited {result.ExitCode}: {FirstLines(result.StdErr.Length > 0 ? result.StdErr : result.StdOut)}")
    {
        Program = program;
        Arguments = arguments;
        ExitCode = result.ExitCode;
        StdErr = result.StdErr;
    }

    public FirewallCommandException()
    {
        Program = "";
        Arguments = [];
        StdErr = "";
    }

    public FirewallCommandException(string message)
        : base(message)
    {
        Program = "";
        Arguments = [];
        StdErr = "";
    }

    public FirewallCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Program = "";
        Arguments = [];
        StdErr = "";
    }

    public string Program { get; }

    public IReadOnlyList<string> Arguments { get; }

    public int ExitCode { get; }

    public string StdErr { get; }

    private static string FirstLines(string text)
    {
        var lines = text.Trim().Split('\n');
        return string.Join(" | ", lines.Take(6)) + (lines.Length > 6 ? " | ..." : "");
    }
}
