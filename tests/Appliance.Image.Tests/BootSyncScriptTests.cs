using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// image/rootfs/usr/lib/appliance/appliance-boot-sync, the kernel and initramfs hook that copies the newest kernel
/// and initrd to the FAT boot partition, run by the same shell as on the box against a fake /boot and boot partition.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class BootSyncScriptTests : IDisposable
{
    private static readonly string Script = RepoPaths.Combine("image", "rootfs", "usr", "lib", "appliance", "appliance-boot-sync");
    private readonly TempDirectory _dir = new("appliance-boot-sync");

    public void Dispose() => _dir.Dispose();

    private string Src => _dir.Combine("boot");
    private string Fat => _dir.Combine("firmware");

    private void Kernel(string version, bool initrd = true)
    {
        Directory.CreateDirectory(Src);
        File.WriteAllText(Path.Combine(Src, "vmlinuz-" + version), "kernel " + version);
        if (initrd)
        {
            File.WriteAllText(Path.Combine(Src, "initrd.img-" + version), "initrd " + version);
        }
    }

    private async Task<ProcessResult> RunAsync(params string[] args)
    {
        Directory.CreateDirectory(Fat);
        return await ProcessRunner.RunAsync("sh", [Script, .. args],
            env: new Dictionary<string, string> { ["APPLIANCE_BOOT_DIR"] = Fat, ["APPLIANCE_KERNEL_DIR"] = Src }, timeout: TimeSpan.FromSeconds(30));
    }

    private string Boot(string name) => File.ReadAllText(Path.Combine(Fat, name));

    [Fact]
    public async Task A_new_kernel_and_its_initrd_replace_the_boot_pair_and_the_old_pair_is_kept()
    {
        Kernel("6.1.0-25-amd64");
        (await RunAsync("6.1.0-25-amd64")).EnsureSuccess("first sync");
        Kernel("6.1.0-28-amd64");
        (await RunAsync("6.1.0-28-amd64")).EnsureSuccess("upgrade");

        Assert.Equal(("kernel 6.1.0-28-amd64", "initrd 6.1.0-28-amd64"), (Boot("vmlinuz"), Boot("initrd.img")));
        Assert.Equal(("kernel 6.1.0-25-amd64", "initrd 6.1.0-25-amd64"), (Boot("vmlinuz.old"), Boot("initrd.img.old")));
        Assert.Empty(Directory.GetFiles(Fat, "*.new"));
    }

    [Fact]
    public async Task An_older_kernels_initrd_rebuild_leaves_the_boot_partition_alone()
    {
        Kernel("6.1.0-25-amd64");
        Kernel("6.1.0-28-amd64");
        (await RunAsync("6.1.0-28-amd64")).EnsureSuccess("sync newest");
        // Debian's versions compare as versions, not as text: -9 is older than -28.
        Kernel("6.1.0-9-amd64");
        var r = await RunAsync("6.1.0-9-amd64", Path.Combine(Src, "initrd.img-6.1.0-9-amd64"));
        r.EnsureSuccess("older kernel");

        Assert.Equal("kernel 6.1.0-28-amd64", Boot("vmlinuz"));
        Assert.Contains("not the newest kernel (6.1.0-28-amd64)", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kernel_without_its_initrd_yet_waits_for_the_initramfs_hook()
    {
        Kernel("6.1.0-25-amd64");
        (await RunAsync("6.1.0-25-amd64")).EnsureSuccess("first sync");
        Kernel("6.1.0-28-amd64", initrd: false);
        var r = await RunAsync("6.1.0-28-amd64");
        r.EnsureSuccess("kernel postinst before the initrd exists");
        Assert.Equal("kernel 6.1.0-25-amd64", Boot("vmlinuz"));

        // update-initramfs then calls the post-update hook with the initrd it made.
        File.WriteAllText(Path.Combine(Src, "initrd.img-6.1.0-28-amd64"), "initrd 6.1.0-28-amd64");
        (await RunAsync("6.1.0-28-amd64", Path.Combine(Src, "initrd.img-6.1.0-28-amd64"))).EnsureSuccess("post-update");
        Assert.Equal(("kernel 6.1.0-28-amd64", "initrd 6.1.0-28-amd64"), (Boot("vmlinuz"), Boot("initrd.img")));
    }

    [Fact]
    public async Task Without_a_version_it_says_how_to_call_it()
    {
        var r = await RunAsync();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("usage: appliance-boot-sync VERSION", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_installs_it_as_both_hooks()
    {
        foreach (var hook in new[] { "etc/kernel/postinst.d/zz-appliance-boot-sync", "etc/initramfs/post-update.d/zz-appliance-boot-sync" })
        {
            var link = new FileInfo(RepoPaths.Combine(["image", "rootfs", .. hook.Split('/')]));
            Assert.Equal("/usr/lib/appliance/appliance-boot-sync", link.LinkTarget);
        }
    }
}
