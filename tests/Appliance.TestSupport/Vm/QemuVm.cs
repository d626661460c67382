using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport.Vm;

/// <summary>Boots a <see cref="VmImage"/> under qemu (KVM when usable, else TCG; always TCG for arm64) with a 9p share, runs a job script, returns the console.</summary>
public static partial class QemuVm
{
    public static async Task<VmRun> RunAsync(VmImage image, string shareDirectory, string jobScript, TimeSpan timeout, int memoryMb = 1024, int cpus = 2)
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
            "-machine", arm64 ? "virt" : "pc", "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio", "-nic", "none",
            "-kernel", image.Kernel, "-initrd", image.Initramfs, "-append", $"console={(arm64 ? "ttyAMA0" : "ttyS0")} quiet panic=-1",
            "-virtfs", $"local,path={shareDirectory},mount_tag=host0,security_model=none",
        ];
        var sw = Stopwatch.StartNew();
        var r = await ProcessRunner.RunAsync(arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64", args, stdin: "", timeout: timeout);
        var console = Ansi().Replace(r.StdOut.Replace("\r", "", StringComparison.Ordinal), "");
        return new VmRun(console + r.StdErr, shareDirectory, sw.Elapsed);
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Za-z]")]
    private static partial Regex Ansi();
}
