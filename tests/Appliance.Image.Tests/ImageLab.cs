using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// What the first-boot tests share: a <see cref="VirtualLan"/>, the real server on it with a network and an
/// enrollment key, and one amd64 image built by image/build-image.sh with that key's token. The image carries one
/// addition for the tests, a probe unit (<see cref="ProbeOverlay"/>) that prints what the tests check to the serial
/// console. Everything is removed on dispose: VMs, server, LAN, the image and its copies.
/// </summary>
public sealed class ImageLab : IAsyncLifetime
{
    public const string Network = "imgnet";

    /// <summary>The image and package tests run one after the other: each builds for minutes on every core there is.</summary>
    public const string Collection = "image builds";
    private readonly TempDirectory _dir = new("appliance-image");
    private int _boxes;

    public VirtualLan Lan { get; private set; } = null!;

    public LanServer Server { get; private set; } = null!;

    public string Image => _dir.Combine("appliance-amd64.img");

    public TimeSpan BuildTime { get; private set; }

    public string BuildLog { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Prerequisites.RequireRoot();
        foreach (var p in new[] { "qemu-system-x86_64", "mmdebstrap", "mtype", "curl", "sfdisk" })
        {
            Prerequisites.RequireProgram(p);
        }
        Lan = await VirtualLan.CreateAsync();
        Directory.CreateDirectory(_dir.Combine("server"));
        Server = new LanServer(Lan, _dir.Combine("server"));
        await Server.StartAsync();
        var token = await Server.CreateNetworkAndTokenAsync(Network, uses: 5);
        await File.WriteAllTextAsync(_dir.Combine("token"), token);
        ProbeOverlay.Write(_dir.Combine("overlay"), Network);
        var sw = Stopwatch.StartNew();
        var build = await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("image", "build-image.sh"), "--arch", "amd64", "--out", Image, "--token-file", _dir.Combine("token")],
            env: new Dictionary<string, string> { ["APPLIANCE_IMAGE_OVERLAY"] = _dir.Combine("overlay") }, timeout: TimeSpan.FromMinutes(40));
        BuildTime = sw.Elapsed;
        BuildLog = build.StdErr + build.StdOut;
        build.EnsureSuccess("image/build-image.sh");
    }

    /// <summary>A new box: a sparse copy of the image (as if flashed to its own disk) and a tap on the LAN.</summary>
    public async Task<BoxVm> NewBoxAsync(string name)
    {
        var copy = _dir.Combine(name + ".img");
        (await ProcessRunner.RunAsync("cp", ["--sparse=always", Image, copy], timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("cp image");
        var index = Interlocked.Increment(ref _boxes);
        return new BoxVm(Lan, name, copy, await Lan.AddTapAsync(), index);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        if (Lan is not null)
        {
            await Lan.DisposeAsync();
        }
        _dir.Dispose();
    }
}
