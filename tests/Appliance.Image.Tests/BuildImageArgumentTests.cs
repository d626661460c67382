using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>image/build-image.sh refuses bad options by name, with exit code 2, before it builds anything.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class BuildImageArgumentTests
{
    [Theory]
    [InlineData("no arch", "--out x.img", "--arch amd64|arm64 is required")]
    [InlineData("unknown arch", "--arch mips --out x.img", "--arch amd64|arm64 is required")]
    [InlineData("no out", "--arch amd64", "--out FILE.img is required")]
    [InlineData("token twice", "--arch amd64 --out x.img --token a --token-file b", "not both")]
    [InlineData("bad hostname", "--arch amd64 --out x.img --hostname -bad", "--hostname")]
    [InlineData("hostname with a dot", "--arch amd64 --out x.img --hostname a.b", "--hostname")]
    [InlineData("size not a size", "--arch amd64 --out x.img --size big", "--size")]
    [InlineData("size too small", "--arch amd64 --out x.img --size 256M", "at least 768M")]
    [InlineData("unknown option", "--arch amd64 --out x.img --colour", "unknown option --colour")]
    public async Task Refuses(string row, string args, string message)
    {
        var r = await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("image", "build-image.sh"), .. args.Split(' ')], timeout: TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 2, $"{row}: exit {r.ExitCode}\n{r.StdErr}");
        Assert.Contains(message, r.StdErr, StringComparison.Ordinal);
    }
}
