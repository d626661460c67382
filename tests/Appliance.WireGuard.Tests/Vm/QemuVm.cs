using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.TestSupport;

namespace Appliance.WireGuard.Tests.Vm;

/// <summary>The outcome of one VM boot: the serial console text and the 9p share directory the guest wrote to.</summary>
public sealed record VmRun(string Console, string ShareDirectory, TimeSpan Elapsed)
{
    /// <summary>Lines starting with <c>@@PREFIX </c>, prefix removed.</summary>
    public IReadOnlyList<string> Lines(string prefix) =>
        [.. Console.Split('\n').Where(l => l.StartsWith("@@" + prefix + " ", StringComparison.Ordinal)).Select(l => l[(prefix.Length + 3)..].TrimEnd())];

    public int? JobExitCode => Lines("JOB").Select(l => l.StartsWith("rc=", StringComparison.Ordinal) && int.TryParse(l[3..], out var rc) ? rc : (int?)null).FirstOrDefault();
}

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
