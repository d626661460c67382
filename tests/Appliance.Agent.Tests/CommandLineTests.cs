using Appliance.Agent;
using Appliance.Agent.Cli;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class CommandLineTests
{
    private static readonly Dictionary<string, IReadOnlySet<string>> Values = new()
    {
        ["join"] = new HashSet<string> { "--token", "--endpoint", "--listen-port" },
        ["status"] = new HashSet<string>(),
    };
    private static readonly Dictionary<string, IReadOnlySet<string>> Flags = new()
    {
        ["join"] = new HashSet<string> { "--force" },
        ["status"] = new HashSet<string> { "--json" },
    };

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Parses_values_repeats_inline_values_and_flags()
    {
        var cl = CommandLine.Parse(["join", "--token", "T", "--endpoint=1.2.3.4", "--endpoint", "5.6.7.8:9", "--force", "--listen-port", "51000"], Values, Flags);
        Assert.Equal("join", cl.Command);
        Assert.Equal("T", cl.Value("--token"));
        Assert.Equal(["1.2.3.4", "5.6.7.8:9"], cl.Values("--endpoint"));
        Assert.True(cl.Flag("--force"));
        Assert.Equal(51000, cl.IntValue("--listen-port", 1, 65535));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("no command", new string[0], "no command")]
    [InlineData("unknown command", new[] { "jion" }, "unknown command 'jion'")]
    [InlineData("unknown option", new[] { "status", "--jsn" }, "'--jsn' is not an option of 'status'")]
    [InlineData("missing value", new[] { "join", "--token" }, "--token needs a value")]
    [InlineData("value on a flag", new[] { "join", "--force=yes" }, "not an option")]
    public void Errors_name_what_was_wrong(string row, string[] args, string message)
    {
        var e = Assert.Throws<AgentException>(() => CommandLine.Parse(args, Values, Flags));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{row}: {e.Message}");
        Assert.Equal(2, e.ExitCode);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Out_of_range_numbers_are_refused()
    {
        var cl = CommandLine.Parse(["join", "--listen-port", "70000"], Values, Flags);
        Assert.Contains("1 to 65535", Assert.Throws<AgentException>(() => cl.IntValue("--listen-port", 1, 65535)).Message, StringComparison.Ordinal);
    }
}
