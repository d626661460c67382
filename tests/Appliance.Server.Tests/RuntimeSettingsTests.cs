using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The server's memory settings (issue #5, RSS at N=5000) are in its runtimeconfig, so every way of starting it has them.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void Runtimeconfig_caps_gen0_uses_small_regions_and_maps_jit_code_once()
    {
        var config = RuntimeConfig.Properties("appliance-server");
        Assert.Equal("16777216", config["System.GC.Gen0MaxBudget"]);
        Assert.Equal("false", config["System.Runtime.EnableWriteXorExecute"]);
        Assert.Equal("false", config["System.GC.Server"]);
        Assert.Equal("1048576", config["System.GC.RegionSize"]);
        Assert.Equal("false", config["System.Runtime.TieredPGO"]);
    }
}
