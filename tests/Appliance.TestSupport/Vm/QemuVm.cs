using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport.Vm;

/// <summary>Boots a <see cref="VmImage"/> under qemu (KVM when usable, else TCG) with a 9p share, runs a job script, returns the console.</summary>
public static partial class QemuVm
{
    public static async Task<VmRun> RunAsync(VmImage image, string shareDirectory, string jobScript, TimeSpan timeout, int memoryMb = 1024, int cpus = 2)
    {
        Directory.CreateDirectory(shareDirectory);
        await File.WriteAllTextAsync(Path.Combine(shareDirectory, "job.sh"), jobScript);
        bool kvm = File.Exists("/dev/kvm") && (Directory.Exists("/sys/module/kvm_intel") || Directory.Exists("/sys/module/kvm_amd"));
        string[] args =
        [
            "-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max", "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-m", memoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-machine", "pc", "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio", "-nic", "none",
            "-kernel", image.Kernel, "-initrd", image.Initramfs, "-append", "console=ttyS0 quiet panic=-1",
            "-virtfs", $"local,path={shareDirectory},mount_tag=host0,security_model=none",
        ];
        var sw = Stopwatch.StartNew();
        var r = await ProcessRunner.RunAsync("qemu-system-x86_64", args, stdin: "", timeout: timeout);
        var console = Ansi().Replace(r.StdOut.Replace("\r", "", StringComparison.Ordinal), "");
        return new VmRun(console + r.StdErr, shareDirectory, sw.Elapsed);
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Za-z]")]
    private static partial Regex Ansi();
}
