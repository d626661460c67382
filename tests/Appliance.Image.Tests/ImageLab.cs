using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// What the first-boot tests share: a <see cref="VirtualLan"/>, the real server on it with a network and an
/// enrollment key, and one image (amd64 here, <see cref="Arm64ImageLab"/> for arm64) built by image/build-image.sh with
/// that key's token. The image carries one addition for the tests, a probe unit (<see cref="ProbeOverlay"/>) that
/// prints what the tests check to the serial console. The build also checks that its file systems come out the same
/// when made twice from the same tree (APPLIANCE_IMAGE_REPRO_CHECK) and writes the root tree's manifest. Everything is
/// removed on dispose: VMs, server, LAN, the image and its copies.
/// </summary>
public class ImageLab : IAsyncLifetime
{
    public const string Network = "imgnet";

    /// <summary>The image and package tests run one after the other: each builds for minutes on every core there is.</summary>
    public const string Collection = "image builds";
    private readonly TempDirectory _dir = new("appliance-image");
    private readonly TimeSpan _buildTimeout;
    private int _boxes;

    public ImageLab()
        : this("amd64", TimeSpan.FromMinutes(40))
    {
    }

    /// <param name="arch">the image's architecture (build-image.sh --arch).</param>
    /// <param name="buildTimeout">how long the build may take (a cold arm64 build publishes the agent for arm64 first).</param>
    protected ImageLab(string arch, TimeSpan buildTimeout)
    {
        Arch = arch;
        _buildTimeout = buildTimeout;
    }

    public string Arch { get; }

    public VirtualLan Lan { get; private set; } = null!;

    public LanServer Server { get; private set; } = null!;

    public string Image => _dir.Combine($"appliance-{Arch}.img");

    /// <summary>The root tree's manifest the build wrote (APPLIANCE_IMAGE_MANIFEST): one line per file.</summary>
    public string Manifest => _dir.Combine($"appliance-{Arch}.manifest");

    /// <summary>The join token on the image's boot partition (5 uses).</summary>
    public string Token { get; private set; } = "";

    public TimeSpan BuildTime { get; private set; }

    /// <summary>
    /// An image made beforehand by image/build-image.sh (no token) to boot instead of building one, or null (the
    /// default) to build. The token then goes onto its APPLBOOT partition with mtools, as a user would put it there,
    /// and the probe into its root with debugfs.
    /// </summary>
    protected virtual string? PrebuiltImage => null;

    /// <summary>True when the image was built by this lab (<see cref="BuildLog"/> and <see cref="Manifest"/> are its build's).</summary>
    public bool Built { get; private set; }

    public string BuildLog { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Prerequisites.RequireRoot();
        foreach (var p in new[] { Arch == "amd64" ? "qemu-system-x86_64" : "qemu-system-aarch64", "mmdebstrap", "mtype", "curl", "sfdisk" })
        {
            Prerequisites.RequireProgram(p);
        }
        Lan = await VirtualLan.CreateAsync();
        Directory.CreateDirectory(_dir.Combine("server"));
        Server = new LanServer(Lan, _dir.Combine("server"));
        await Server.StartAsync();
        var token = await Server.CreateNetworkAndTokenAsync(Network, uses: 5);
        Token = token;
        await File.WriteAllTextAsync(_dir.Combine("token"), token);
        ProbeOverlay.Write(_dir.Combine("overlay"), Network);
        if (PrebuiltImage is { } prebuilt)
        {
            if (!File.Exists(prebuilt))
            {
                throw new FileNotFoundException($"the prebuilt {Arch} image {prebuilt} is not there", prebuilt);
            }
            (await ProcessRunner.RunAsync("cp", ["--sparse=always", prebuilt, Image], timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("cp prebuilt image");
            await BootPartition.WriteAsync(Image, "appliance/token", token + "\n");
            await RootPartition.CopyInAsync(Image, _dir.Combine("overlay"));
            BuildLog = $"prebuilt image {prebuilt}: token written with mcopy, probe with debugfs";
            return;
        }
        var sw = Stopwatch.StartNew();
        var build = await ProcessRunner.RunAsync("bash", [RepoPaths.Combine("image", "build-image.sh"), "--arch", Arch, "--out", Image, "--token-file", _dir.Combine("token")],
            env: new Dictionary<string, string>
            {
                ["APPLIANCE_IMAGE_OVERLAY"] = _dir.Combine("overlay"),
                ["APPLIANCE_IMAGE_REPRO_CHECK"] = "1",
                ["APPLIANCE_IMAGE_MANIFEST"] = Manifest,
            },
            timeout: _buildTimeout);
        BuildTime = sw.Elapsed;
        BuildLog = build.StdErr + build.StdOut;
        build.EnsureSuccess("image/build-image.sh");
        Built = true;
    }

    /// <summary>A new box: a sparse copy of the image (as if flashed to its own disk) and a tap on the LAN.</summary>
    /// <param name="uefi">amd64: boot through OVMF and GRUB instead of SeaBIOS and syslinux (arm64 always boots UEFI).</param>
    public async Task<BoxVm> NewBoxAsync(string name, bool uefi = false)
    {
        var copy = _dir.Combine(name + ".img");
        (await ProcessRunner.RunAsync("cp", ["--sparse=always", Image, copy], timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("cp image");
        var index = Interlocked.Increment(ref _boxes);
        return new BoxVm(Lan, name, copy, await Lan.AddTapAsync(), index, Arch, uefi);
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
