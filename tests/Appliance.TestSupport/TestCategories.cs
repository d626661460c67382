namespace Appliance.TestSupport;

/// <summary>The test layers; use as [Trait("Category", TestCategories.Unit)] so a run can pick a layer.</summary>
public static class TestCategories
{
    public const string Unit = "Unit";
    public const string Integration = "Integration";
    public const string Interop = "Interop";
    public const string Netns = "Netns";
    public const string Vm = "Vm";
    public const string Browser = "Browser";
}
