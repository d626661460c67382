using Appliance.ApkTool.Package;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// Both OpenWRT packages for x86_64, made once for the class by image/build-openwrt.sh --format both, as a user makes
/// them (one agent publish for both), on first use: the class's Unit tests build nothing. The .apk is written by this
/// build of image/Appliance.ApkTool (APPLIANCE_APK_TOOL). Removed on dispose.
/// </summary>
public sealed class OpenWrtPackageBuild : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-owrt");
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Ipk, string Apk)? _built;

    public async Task<(string Ipk, string Apk)> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_built is null)
            {
                var built = await ProcessRunner.RunAsync("bash",
                    [RepoPaths.Combine("image", "build-openwrt.sh"), "--arch", "x86_64", "--format", "both", "--out-dir", _dir.Combine("out")],
                    timeout: TimeSpan.FromMinutes(40),
                    env: new Dictionary<string, string> { ["APPLIANCE_APK_TOOL"] = typeof(ApkPackageWriter).Assembly.Location });
                built.EnsureSuccess("image/build-openwrt.sh");
                var lines = built.StdOut.Trim().Split('\n');
                _built = (lines.Single(l => l.EndsWith(".ipk", StringComparison.Ordinal)), lines.Single(l => l.EndsWith(".apk", StringComparison.Ordinal)));
            }
            return _built.Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _dir.Dispose();
    }
}
