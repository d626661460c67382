using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Image.Tests;

/// <summary>
/// The flashed image, booted for real (qemu TCG, SeaBIOS + syslinux, Debian's kernel and systemd): copies of one image
/// enroll themselves on first boot with the token on their APPLBOOT partition, as distinct nodes, and reach each other
/// over kernel WireGuard; the same image boots under UEFI (OVMF, GRUB) too. The tests share one <see cref="ImageLab"/>.
/// </summary>
[Trait("Category", TestCategories.Vm)]
[Collection(ImageLab.Collection)]
public sealed class FirstBootVmTests(ImageLab lab, ITestOutputHelper output) : IClassFixture<ImageLab>
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task Two_copies_enroll_as_two_nodes_ping_over_kernel_wireguard_and_a_reboot_with_the_server_down_brings_the_tunnel_back()
    {
        output.WriteLine($"image build: {BoxVm.Seconds(lab.BuildTime)} s, {new FileInfo(lab.Image).Length / (1024 * 1024)} MiB, " +
            $"{Allocated(lab.Image) / (1024 * 1024)} MiB allocated\n{BoxVm.Tail(lab.BuildLog, 2000)}");
        Assert.Equal("APPLBOOT", await BootPartition.LabelAsync(lab.Image));
        Assert.NotNull(await BootPartition.ReadAsync(lab.Image, "appliance/token"));
        var before = (await lab.Server.NodesAsync()).Select(n => n.Id).ToHashSet();
        await using var a = await lab.NewBoxAsync("box-a");
        await using var b = await lab.NewBoxAsync("box-b");
        try
        {
            var sw = Stopwatch.StartNew();
            a.Boot();
            b.Boot();
            await a.WaitForAsync(@"appliance-firstboot: joined as (\S+)", Boot);
            output.WriteLine($"box-a boot to enrolled: {BoxVm.Seconds(sw.Elapsed)} s");
            await b.WaitForAsync(@"appliance-firstboot: joined as (\S+)", Boot);
            output.WriteLine($"box-b boot to enrolled: {BoxVm.Seconds(sw.Elapsed)} s");

            // Two nodes: each made its own key and name on the device.
            var nodes = (await lab.Server.NodesAsync()).Where(n => !before.Contains(n.Id)).ToList();
            Assert.Equal(2, nodes.Count);
            Assert.NotEqual(nodes[0].PublicKey, nodes[1].PublicKey);
            Assert.NotEqual(nodes[0].Name, nodes[1].Name);
            Assert.All(nodes, n => Assert.StartsWith("appliance-", n.Hostname, StringComparison.Ordinal));
            var addrA = (await a.WaitForAsync(@"@@PROBE self (\d+\.\d+\.\d+\.\d+)", Boot)).Groups[1].Value;
            var addrB = (await b.WaitForAsync(@"@@PROBE self (\d+\.\d+\.\d+\.\d+)", Boot)).Groups[1].Value;
            Assert.Equal(new[] { addrA, addrB }.Order(), nodes.Select(n => n.Ipv4Address!.Split('/')[0]).Order());

            // Kernel WireGuard both ways, the agent under systemd, the mesh names in /etc/hosts (read-only root but that).
            await a.WaitForAsync(@"@@PROBE ping " + Regex.Escape(addrB) + " ok", Boot);
            await b.WaitForAsync(@"@@PROBE ping " + Regex.Escape(addrA) + " ok", Boot);
            output.WriteLine($"both boxes ping each other's mesh address: {BoxVm.Seconds(sw.Elapsed)} s after power on");
            foreach (var box in new[] { a, b })
            {
                await box.WaitForAsync("@@PROBE kernel-wg yes", Boot);
                await box.WaitForAsync("@@PROBE agent active", Boot);
                await box.WaitForAsync(@"@@PROBE hosts [1-9]", Boot);
            }

            // Reboot box A with the server down: the agent brings the tunnel back from its local state.
            await lab.Server.StopAsync();
            await a.PowerOffAsync();
            a.Boot();
            await a.WaitForAsync(@"@@PROBE ping " + Regex.Escape(addrB) + " ok", Boot);
            Assert.DoesNotMatch("appliance-firstboot: (join attempt|joined)", a.Console);
            output.WriteLine("box-a rebooted with the server down: tunnel to box-b back");
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{e.Message}\n===== box-a\n{BoxVm.Tail(a.AllConsole, 20000)}\n===== box-b\n{BoxVm.Tail(b.AllConsole, 20000)}", e);
        }
        finally
        {
            await a.PowerOffAsync();
            await b.PowerOffAsync();
            if (!lab.Server.Running)
            {
                await lab.Server.StartAsync();
            }
        }
        // The token is gone from both boot partitions, and no failure was left behind.
        foreach (var box in new[] { a, b })
        {
            Assert.Null(await BootPartition.ReadAsync(box.Image, "appliance/token"));
            Assert.Null(await BootPartition.ReadAsync(box.Image, "appliance/last-error"));
            Assert.NotNull(await BootPartition.ReadAsync(box.Image, "appliance/config.json"));
        }
    }

    [Fact]
    public async Task A_box_booted_while_the_server_is_down_keeps_its_token_says_why_and_enrolls_once_the_server_is_up()
    {
        await using var c = await lab.NewBoxAsync("box-c");
        var before = (await lab.Server.NodesAsync()).Count;
        await lab.Server.StopAsync();
        try
        {
            c.Boot();
            // Two failed attempts: the box retries, and the first one's reason is on the card by the time of the second.
            await c.WaitForAsync(@"appliance-firstboot: join attempt \d+ failed", Boot, count: 2);
            // The box keeps the token and writes why next to it (read from the host, as a PC would read the card).
            Assert.NotNull(await BootPartition.ReadAsync(c.Image, "appliance/token"));
            var why = await BootPartition.ReadAsync(c.Image, "appliance/last-error");
            output.WriteLine("last-error: " + why);
            Assert.NotNull(why);
            Assert.Matches(@"join attempt \d+ failed \(exit \d+\): .*cannot reach the server", why);

            var sw = Stopwatch.StartNew();
            await lab.Server.StartAsync();
            await c.WaitForAsync(@"appliance-firstboot: joined as (\S+)", Boot);
            output.WriteLine($"box-c enrolled {BoxVm.Seconds(sw.Elapsed)} s after the server came up");
            await c.WaitForAsync("@@PROBE agent active", Boot);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{e.Message}\n===== box-c\n{BoxVm.Tail(c.AllConsole, 20000)}", e);
        }
        finally
        {
            await c.PowerOffAsync();
            if (!lab.Server.Running)
            {
                await lab.Server.StartAsync();
            }
        }
        Assert.Equal(before + 1, (await lab.Server.NodesAsync()).Count);
        Assert.Null(await BootPartition.ReadAsync(c.Image, "appliance/token"));
        Assert.Null(await BootPartition.ReadAsync(c.Image, "appliance/last-error"));
    }

    [Fact]
    public async Task The_same_image_boots_under_uefi_through_grub_and_enrolls()
    {
        var before = (await lab.Server.NodesAsync()).Select(n => n.Id).ToHashSet();
        await using var u = await lab.NewBoxAsync("box-uefi", uefi: true);
        try
        {
            var sw = Stopwatch.StartNew();
            u.Boot();
            // OVMF found GRUB as the removable-media default \EFI\BOOT\BOOTX64.EFI on APPLBOOT; the kernel saw UEFI.
            await u.WaitForAsync("@@PROBE firmware uefi machine x86_64", Boot);
            await u.WaitForAsync(@"appliance-firstboot: joined as (\S+)", Boot);
            output.WriteLine($"box-uefi (OVMF) boot to enrolled: {BoxVm.Seconds(sw.Elapsed)} s");
            var self = (await u.WaitForAsync(@"@@PROBE self (\d+\.\d+\.\d+\.\d+)", Boot)).Groups[1].Value;
            await u.WaitForAsync("@@PROBE kernel-wg yes", Boot);
            await u.WaitForAsync("@@PROBE agent active", Boot);
            var node = Assert.Single(await lab.Server.NodesAsync(), n => !before.Contains(n.Id));
            Assert.Equal(self, node.Ipv4Address!.Split('/')[0]);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{e.Message}\n===== box-uefi\n{BoxVm.Tail(u.AllConsole, 20000)}", e);
        }
        finally
        {
            await u.PowerOffAsync();
        }
        Assert.Null(await BootPartition.ReadAsync(u.Image, "appliance/token"));
    }

    [Fact]
    public async Task The_build_made_its_file_systems_twice_with_the_same_bytes_and_wrote_the_trees_manifest()
    {
        Assert.Contains("reproducible: boot and root file systems made twice from the same trees are the same bytes", lab.BuildLog, StringComparison.Ordinal);
        var manifest = await File.ReadAllLinesAsync(lab.Manifest);
        // The agent, the first-boot script and GRUB's EFI binary, each with its content's hash.
        foreach (var path in new[] { "root/usr/bin/appliance-agent", "root/usr/lib/appliance/appliance-firstboot", "boot/EFI/BOOT/BOOTX64.EFI" })
        {
            Assert.Contains(manifest, l => Regex.IsMatch(l, "^[0-9a-f]{64}  " + Regex.Escape(path) + "$"));
        }
        ImageManifest.AssertDeferredToolsRan(manifest);
        // Every time in the trees is SOURCE_DATE_EPOCH or older (the packages' own times): nothing carries the build's clock.
        var epoch = long.Parse(Regex.Match(lab.BuildLog, @"SOURCE_DATE_EPOCH (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var newer = manifest.Select(l => l.Split('\t')).Where(f => f.Length == 7)
            .Where(f => (long)double.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture) > epoch).Select(f => f[0]).ToList();
        Assert.True(newer.Count == 0, $"{newer.Count} files newer than SOURCE_DATE_EPOCH {epoch}: {string.Join(", ", newer.Take(20))}");
    }

    private static long Allocated(string path)
    {
        var r = ProcessRunner.RunAsync("du", ["-B1", path]).GetAwaiter().GetResult();
        return long.Parse(r.StdOut.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
