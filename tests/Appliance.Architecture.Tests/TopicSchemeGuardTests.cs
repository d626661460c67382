using Appliance.TestSupport;

namespace Appliance.Architecture.Tests;

/// <summary>
/// MQTT topic names exist once, in the shared scheme (<c>lib/Appliance.Contracts/Mesh/MeshTopics.cs</c>): the broker
/// stays general (its ACLs come from the server as data) and the agent and the server build every topic there.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class TopicSchemeGuardTests
{
    private const string Root = "appliance/v1";

    private static readonly string SharedScheme = Path.Combine("lib", "Appliance.Contracts", "Mesh", "MeshTopics.cs");

    /// <summary>Every file below a folder (sources, project files, READMEs, packaging) except build output.</summary>
    private static IEnumerable<string> Files(string folder, string pattern = "*") =>
        Directory.EnumerateFiles(RepoPaths.Combine(folder), pattern, SearchOption.AllDirectories)
            .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal));

    /// <summary>The files that spell the topic root, relative to the repository.</summary>
    private static List<string> Spelling(IEnumerable<string> files) =>
        [.. files.Where(f => File.ReadAllText(f).Contains(Root, StringComparison.Ordinal)).Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string, string> GuardedTrees() => new()
    {
        // folder, file pattern
        { Path.Combine("server", "Appliance.Broker"), "*" },
        { "agent-lite", "*" },
        { Path.Combine("server", "Appliance.Server"), "*.cs" },
    };

    [Theory]
    [MemberData(nameof(GuardedTrees))]
    public void No_topic_is_spelled_outside_the_shared_scheme(string folder, string pattern)
    {
        var offenders = Spelling(Files(folder, pattern));
        Assert.True(offenders.Count == 0, $"'{Root}' spelled outside {SharedScheme}: {string.Join(", ", offenders)}; build topics and ACL patterns with Appliance.Contracts.Mesh.MeshTopics");
    }

    [Fact]
    public void The_guard_finds_the_spelling_where_it_is()
    {
        // The positive control: scanning the shared library finds the scheme itself and only it, so an empty result above means something.
        Assert.Equal([SharedScheme], Spelling(Files(Path.Combine("lib", "Appliance.Contracts"), "*.cs")));
    }
}
