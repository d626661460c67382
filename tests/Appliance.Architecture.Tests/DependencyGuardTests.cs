using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using Appliance.TestSupport;

namespace Appliance.Architecture.Tests;

/// <summary>
/// Dependencies point one way: device code (lib, agent-lite, gateway, hardware) never reaches ASP.NET Core
/// or the server, and stays trimmable and AOT-clean so an ARM or NativeAOT build is a flag away.
/// </summary>
public sealed class DependencyGuardTests
{
    private static readonly string[] Forbidden = ["Microsoft.AspNetCore", "appliance-server", "Appliance.Server", "Appliance.Broker", "Microsoft.Extensions.Hosting"];

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Device_projects_exist_and_include_the_agent() =>
        Assert.Contains(DeviceProjects.All(), p => p.EndsWith("Appliance.Agent.csproj", StringComparison.Ordinal));

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(DeviceProjects.Names), MemberType = typeof(DeviceProjects))]
    public void Project_file_references_nothing_server_side(string project)
    {
        var path = RepoPaths.Combine(project);
        var doc = XDocument.Load(path);
        Assert.Equal("Microsoft.NET.Sdk", doc.Root!.Attribute("Sdk")?.Value);
        var problems = new List<string>();
        foreach (var e in doc.Descendants())
        {
            var include = e.Attribute("Include")?.Value ?? string.Empty;
            switch (e.Name.LocalName)
            {
                case "FrameworkReference":
                    problems.Add($"framework reference {include}");
                    break;
                case "PackageReference" when include.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal):
                    problems.Add($"package {include}");
                    break;
                case "ProjectReference":
                    var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include));
                    var rel = Path.GetRelativePath(RepoPaths.Root, target);
                    if (!DeviceProjects.Roots.Any(r => rel.StartsWith(r + "/", StringComparison.Ordinal)))
                    {
                        problems.Add($"project reference {rel}");
                    }
                    break;
            }
        }
        Assert.True(problems.Count == 0, $"{project} reaches outside device code: {string.Join(", ", problems)}");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public void Built_agent_and_everything_it_loads_reference_no_server_assembly()
    {
        var config = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var outDir = RepoPaths.Combine("agent-lite", "Appliance.Agent", "bin", config, "net10.0");
        var dlls = Directory.GetFiles(outDir, "*.dll");
        Assert.Contains(dlls, d => d.EndsWith("appliance-agent.dll", StringComparison.Ordinal));
        var problems = new List<string>();
        foreach (var dll in dlls)
        {
            using var pe = new PEReader(File.OpenRead(dll));
            var md = pe.GetMetadataReader();
            foreach (var handle in md.AssemblyReferences)
            {
                var name = md.GetString(md.GetAssemblyReference(handle).Name);
                if (Forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)))
                {
                    problems.Add($"{Path.GetFileName(dll)} -> {name}");
                }
            }
            var own = md.GetString(md.GetAssemblyDefinition().Name);
            if (Forbidden.Any(f => own.StartsWith(f, StringComparison.Ordinal)))
            {
                problems.Add($"{own} is deployed with the agent");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [Trait("Category", TestCategories.Integration)]
    [MemberData(nameof(DeviceProjects.Names), MemberType = typeof(DeviceProjects))]
    public async Task Device_project_is_trimmable_and_aot_compatible(string project)
    {
        var r = (await ProcessRunner.RunAsync("dotnet",
            ["msbuild", RepoPaths.Combine(project), "-getProperty:IsTrimmable", "-getProperty:IsAotCompatible", "-getProperty:TreatWarningsAsErrors"],
            timeout: TimeSpan.FromMinutes(2))).EnsureSuccess("dotnet msbuild -getProperty");
        using var json = JsonDocument.Parse(r.StdOut);
        var props = json.RootElement.GetProperty("Properties");
        Assert.Equal("true", props.GetProperty("IsTrimmable").GetString());
        Assert.Equal("true", props.GetProperty("IsAotCompatible").GetString());
        Assert.Equal("true", props.GetProperty("TreatWarningsAsErrors").GetString());
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Agent_publishes_trimmed_self_contained_without_a_single_trim_or_aot_warning()
    {
        using var tmp = new TempDirectory("appliance-trim");
        var r = await ProcessRunner.RunAsync("dotnet",
        [
            "publish", RepoPaths.Combine("agent-lite", "Appliance.Agent", "Appliance.Agent.csproj"),
            "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishTrimmed=true", "-p:PublishAot=false",
            // Own artifacts folder: never collide with other builds of the shared libraries.
            "--artifacts-path", tmp.Combine("artifacts"), "-o", tmp.Combine("out"), "-nologo",
        ], timeout: TimeSpan.FromMinutes(8));
        var output = r.StdOut + r.StdErr;
        Assert.True(r.ExitCode == 0, output);
        var warnings = output.Split('\n').Where(l => l.Contains("warning IL", StringComparison.Ordinal) || l.Contains(": warning ", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        var size = new DirectoryInfo(tmp.Combine("out")).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Extension != ".pdb").Sum(f => f.Length);
        // A guard against accidental growth (a trimmed self-contained hello world is ~23 MB here).
        Assert.True(size < 40L * 1024 * 1024, $"trimmed agent is {size / 1024 / 1024} MB");
        Console.WriteLine($"trimmed self-contained agent: {size / 1024.0 / 1024.0:F1} MB");
    }
}
