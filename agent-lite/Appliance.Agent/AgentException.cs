namespace Appliance.Agent;

/// <summary>A failure the user can act on; the agent prints the message and exits non-zero.</summary>
public sealed class AgentException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
