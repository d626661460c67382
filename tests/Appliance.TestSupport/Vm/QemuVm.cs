using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport.Vm;

/// <summary>Boots a <see cref="VmImage"/> under qemu (KVM when usable, else TCG; always TCG for arm64) with a 9p share, runs a job script, returns the console.</summary>
public static partial class QemuVm
{
    /// <param name="network">
    /// Null: no NIC. Otherwise a virtio NIC on qemu's user-mode network with nothing reachable but the
    /// <see cref="QemuNetwork.GuestForwards"/>; qemu runs inside <see cref="QemuNetwork.Namespace"/> (if set), so the
    /// forwards reach what listens there. The guest's job configures <c>eth0</c> itself (10.0.2.15/24).
    /// </param>
    public static async Task<VmRun> RunAsync(VmImage image, string shareDirectory, string jobScript, TimeSpan timeout, int memoryMb = 1024, int cpus = 2,
        QemuNetwork? network = null)
    {
        Directory.CreateDirectory(shareDirectory);
        await File.WriteAllTextAsync(Path.Combine(shareDirectory, "job.sh"), jobScript);
        var arm64 = image.Architecture == "arm64";
        // An arm64 guest is emulated (TCG) on this x86-64 host: the virt board, its PL011 UART as the console.
        bool kvm = !arm64 && File.Exists("/dev/kvm") && (Directory.Exists("/sys/module/kvm_intel") || Directory.Exists("/sys/module/kvm_amd"));
        string[] args =
        [
            "-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max", "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-m", memoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-machine", arm64 ? "virt" : "pc", "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio",
            .. network is null ? ["-nic", "none"] : network.QemuArguments(),
            "-kernel", image.Kernel, "-initrd", image.Initramfs, "-append", $"console={(arm64 ? "ttyAMA0" : "ttyS0")} quiet panic=-1",
            "-virtfs", $"local,path={shareDirectory},mount_tag=host0,security_model=none",
        ];
        var sw = Stopwatch.StartNew();
        var qemu = arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
        // `ip netns exec` execs qemu: the timeout's kill still hits qemu itself.
        var r = network?.Namespace is { } ns
            ? await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, qemu, .. args], stdin: "", timeout: timeout)
            : await ProcessRunner.RunAsync(qemu, args, stdin: "", timeout: timeout);
        var console = Ansi().Replace(r.StdOut.Replace("\r", "", StringComparison.Ordinal), "");
        return new VmRun(console + r.StdErr, shareDirectory, sw.Elapsed);
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Za-z]")]
    private static partial Regex Ansi();
}
