using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// The arm64 image, built on this amd64 host (qemu-user through binfmt_misc, the linux-arm64 NativeAOT agent) and
/// booted for real under qemu-system-aarch64 (<c>virt</c>, Debian's AAVMF UEFI, GRUB's BOOTAA64.EFI, TCG): it enrolls
/// itself with the token on its APPLBOOT partition and brings up kernel WireGuard to a peer on the LAN.
/// Not in the default suite (scripts/test.sh leaves out <c>Suite=arm64-image</c>): a cold run publishes the agent for
/// arm64 and configures every package under qemu-user, which does not fit beside the rest in CI's 90 minutes; run it
/// with <c>scripts/test.sh "Suite=arm64-image"</c> (docs/BENCHMARKS.md has its times).
/// </summary>
[Trait("Category", TestCategories.Vm)]
[Trait("Suite", Arm64ImageLab.Suite)]
[Collection(ImageLab.Collection)]
public sealed class Arm64FirstBootVmTests(Arm64ImageLab lab, ITestOutputHelper output) : IClassFixture<Arm64ImageLab>
{
    // TCG emulating arm64 on a loaded 2-core host: UEFI, the kernel and systemd take minutes, not seconds.
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(25);

    [Fact]
    public async Task The_arm64_image_boots_under_uefi_enrolls_and_reaches_a_peer_over_kernel_wireguard()
    {
        if (lab.Built)
        {
            output.WriteLine($"arm64 image build: {BoxVm.Seconds(lab.BuildTime)} s, {new FileInfo(lab.Image).Length / (1024 * 1024)} MiB\n{BoxVm.Tail(lab.BuildLog, 3000)}");
            Assert.Contains("reproducible: boot and root file systems made twice from the same trees are the same bytes", lab.BuildLog, StringComparison.Ordinal);
            var manifest = await File.ReadAllLinesAsync(lab.Manifest);
            Assert.Contains(manifest, l => l.EndsWith("  boot/EFI/BOOT/BOOTAA64.EFI", StringComparison.Ordinal) && Regex.IsMatch(l, "^[0-9a-f]{64}  "));
            ImageManifest.AssertDeferredToolsRan(manifest);
        }
        else
        {
            // Only with APPLIANCE_TEST_ARM64_IMAGE (never in CI): the build's own checks belong to the run that built it.
            output.WriteLine($"{lab.BuildLog}; the build's reproducibility and manifest checks were not run here");
        }
        Assert.Equal("APPLBOOT", await BootPartition.LabelAsync(lab.Image));
        // The node's name is config.json's hostname, or appliance-<machine-id> when that is empty.
        var config = await BootPartition.ReadAsync(lab.Image, "appliance/config.json") ?? throw new InvalidOperationException("no appliance/config.json on APPLBOOT");
        var hostname = System.Text.Json.JsonDocument.Parse(config).RootElement.GetProperty("hostname").GetString();
        var before = (await lab.Server.NodesAsync()).Select(n => n.Id).ToHashSet();
        await using var peer = await HostPeer.JoinAsync(lab.Lan, lab.Token, "hostpeer");
        await using var box = await lab.NewBoxAsync("box-arm64");
        try
        {
            var sw = Stopwatch.StartNew();
            box.Boot();
            await box.WaitForAsync("@@PROBE firmware uefi machine aarch64", Boot);
            await box.WaitForAsync(@"appliance-firstboot: joined as (\S+)", Boot);
            output.WriteLine($"box-arm64 power on to enrolled: {BoxVm.Seconds(sw.Elapsed)} s");
            var self = (await box.WaitForAsync(@"@@PROBE self (\d+\.\d+\.\d+\.\d+)", Boot)).Groups[1].Value;
            var node = Assert.Single(await lab.Server.NodesAsync(), n => !before.Contains(n.Id) && n.Hostname != "hostpeer");
            Assert.Equal(self, node.Ipv4Address!.Split('/')[0]);
            if (string.IsNullOrEmpty(hostname))
            {
                Assert.StartsWith("appliance-", node.Hostname, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(hostname, node.Hostname);
            }
            await box.WaitForAsync("@@PROBE kernel-wg yes", Boot);
            await box.WaitForAsync("@@PROBE agent active", Boot);

            // Both ways over the tunnel: the box pings the host's peer, the host's peer pings the box.
            await box.WaitForAsync(@"@@PROBE ping " + Regex.Escape(peer.Address) + " ok", Boot);
            await peer.PingAsync(self, Boot);
            output.WriteLine($"box-arm64 and the host's peer ping each other's mesh address: {BoxVm.Seconds(sw.Elapsed)} s after power on");
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{e.Message}\n===== box-arm64\n{BoxVm.Tail(box.AllConsole, 20000)}\n===== host peer\n{peer.Log}", e);
        }
        finally
        {
            await box.PowerOffAsync();
        }
        Assert.Null(await BootPartition.ReadAsync(box.Image, "appliance/token"));
        Assert.Null(await BootPartition.ReadAsync(box.Image, "appliance/last-error"));
    }
}
