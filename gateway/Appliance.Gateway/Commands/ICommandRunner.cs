namespace Appliance.Gateway.Commands;

/// <summary>
/// Runs one external program (nft, iptables-restore, sysctl, uci) and returns its outcome; the seam that lets tests
/// check the exact commands and stdin without root. Implementations never throw for a non-zero exit.
/// </summary>
public interface ICommandRunner
{
    Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null, CancellationToken cancellationToken = default);
}
