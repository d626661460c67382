namespace Appliance.Agent.Cli;

/// <summary>
/// The agent's argument parser: a command, then "--name value" options and "--flag" switches.
/// Small on purpose (the agent must stay tiny); unknown options are errors that name the option.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, IReadOnlySet<string>> valueOptions, IReadOnlyDictionary<string, IReadOnlySet<string>> flagOptions)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            if (args.Count > 0 && args[0] is "--help" or "-h")
            {
                return new CommandLine("help");
            }
            throw new AgentException("no command given", 2);
        }
        var result = new CommandLine(args[0]);
        if (!valueOptions.ContainsKey(result.Command) && !flagOptions.ContainsKey(result.Command))
        {
            throw new AgentException($"unknown command '{result.Command}'", 2);
        }
        var values = valueOptions.GetValueOrDefault(result.Command) ?? new HashSet<string>();
        var flags = flagOptions.GetValueOrDefault(result.Command) ?? new HashSet<string>();
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }
            if (name is "--help" or "-h")
            {
                result._flags.Add("--help");
            }
            else if (values.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new AgentException($"{name} needs a value", 2));
                if (!result._values.TryGetValue(name, out var list))
                {
                    result._values[name] = list = [];
                }
                list.Add(value);
            }
            else if (flags.Contains(name) && inline is null)
            {
                result._flags.Add(name);
            }
            else
            {
                throw new AgentException($"'{arg}' is not an option of '{result.Command}'", 2);
            }
        }
        return result;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public bool Flag(string name) => _flags.Contains(name);

    public int? IntValue(string name, int min, int max)
    {
        var text = Value(name);
        if (text is null)
        {
            return null;
        }
        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new AgentException($"{name} must be a number from {min} to {max}, got '{text}'", 2);
    }
}
