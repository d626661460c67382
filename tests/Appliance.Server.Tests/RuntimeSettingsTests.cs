using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The server's memory settings (issue #5, RSS at N=5000) are in its runtimeconfig, so every way of starting it has them.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Runtimeconfig_caps_gen0_uses_small_regions_and_maps_jit_code_once()
    {
        var config = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appliance-server.runtimeconfig.json"));
        Assert.Contains("\"System.GC.Gen0MaxBudget\": 16777216", config, StringComparison.Ordinal);
        Assert.Contains("\"System.Runtime.EnableWriteXorExecute\": false", config, StringComparison.Ordinal);
        Assert.Contains("\"System.GC.Server\": false", config, StringComparison.Ordinal);
        Assert.Contains("\"System.GC.RegionSize\": 1048576", config, StringComparison.Ordinal);
        Assert.Contains("\"System.Runtime.TieredPGO\": false", config, StringComparison.Ordinal);
    }
}
