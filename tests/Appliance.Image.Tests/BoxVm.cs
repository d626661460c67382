using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Appliance.Image.Tests;

/// <summary>
/// One flashed box: qemu (TCG) booting an image file from its own disk, its NIC on a tap of a <see cref="VirtualLan"/>,
/// its serial console in a file the test reads while it runs. Powered off (ACPI, then killed by pid) on dispose.
/// </summary>
public sealed partial class BoxVm : IAsyncDisposable
{
    private readonly VirtualLan _lan;
    private readonly string _tap;
    private readonly string _mac;
    private readonly string _dir;
    private readonly string _arch;
    private Process? _qemu;
    private int _boots;

    private readonly bool _uefi;

    /// <param name="arch">amd64 (qemu <c>pc</c>) or arm64 (qemu <c>virt</c>, always UEFI: AAVMF).</param>
    /// <param name="uefi">amd64 only: boot through OVMF and GRUB's BOOTX64.EFI instead of SeaBIOS and syslinux.</param>
    public BoxVm(VirtualLan lan, string name, string image, string tap, int index, string arch = "amd64", bool uefi = false)
    {
        if (arch is not ("amd64" or "arm64"))
        {
            throw new ArgumentException($"arch: amd64 or arm64, not '{arch}'", nameof(arch));
        }
        _lan = lan;
        Name = name;
        Image = image;
        _tap = tap;
        _arch = arch;
        _uefi = uefi || arch == "arm64";
        _mac = $"52:54:00:12:34:{index:x2}";
        _dir = Path.GetDirectoryName(image)!;
    }

    /// <summary>Debian's OVMF (package ovmf): UEFI for qemu <c>pc</c>/<c>q35</c>.</summary>
    public const string Ovmf = "/usr/share/ovmf/OVMF.fd";

    /// <summary>Debian's AAVMF (package qemu-efi-aarch64): UEFI for qemu <c>virt</c>.</summary>
    public const string Aavmf = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd";

    public string Name { get; }

    public string Image { get; }

    /// <summary>The serial console of the current boot (cumulative across boots in <see cref="AllConsole"/>).</summary>
    public string ConsolePath => Path.Combine(_dir, $"{Name}.console{_boots}.log");

    private string MonitorPath => Path.Combine(_dir, $"{Name}.monitor");

    public bool Running => _qemu is { HasExited: false };

    public string Console => File.Exists(ConsolePath) ? Clean(File.ReadAllText(ConsolePath)) : "";

    public string AllConsole => string.Join("\n", Enumerable.Range(1, _boots).Select(i => Path.Combine(_dir, $"{Name}.console{i}.log"))
        .Where(File.Exists).Select(p => $"----- {Path.GetFileName(p)}\n" + Clean(File.ReadAllText(p))));

    public void Boot()
    {
        if (Running)
        {
            throw new InvalidOperationException(Name + " is running");
        }
        _boots++;
        File.Delete(MonitorPath);
        string[] args = _arch == "amd64"
            ? ["qemu-system-x86_64", "-machine", "pc", "-cpu", "max", "-device", "i6300esb", "-m", "640"]
            // pauth=off: qemu 7.2 emulates pointer authentication with the architected QARMA cipher, which makes the
            // kernel (built with it) several times slower under TCG; the box needs none of it (the agent is ARMv8.0).
            // 1 GiB: headroom for the firmware and the larger arm64 kernel and initrd (MODULES=most).
            : ["qemu-system-aarch64", "-machine", "virt", "-cpu", "max,pauth=off", "-m", "1024"];
        if (_uefi)
        {
            args = [.. args, "-bios", Firmware(_arch)];
        }
        _qemu = _lan.Start(args[0], [.. args[1..], "-accel", "tcg", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "file:" + ConsolePath, "-monitor", $"unix:{MonitorPath},server,nowait",
            "-drive", $"file={Image},format=raw,if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0",
            "-netdev", $"tap,id=n0,ifname={_tap},script=no,downscript=no", "-device", $"virtio-net-pci,netdev=n0,mac={_mac}"]);
    }

    /// <summary>Waits for the <paramref name="count"/>th console line of this boot matching <paramref name="pattern"/>; returns its match.</summary>
    public async Task<Match> WaitForAsync(string pattern, TimeSpan timeout, int count = 1)
    {
        var re = new Regex(pattern, RegexOptions.Multiline);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            var matches = re.Matches(Console);
            if (matches.Count >= count)
            {
                return matches[count - 1];
            }
            if (!Running)
            {
                break;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{Name}: no console line /{pattern}/ (#{count}) within {timeout.TotalSeconds:F0} s (qemu running: {Running})\n{Tail(AllConsole, 12000)}");
    }

    /// <summary>ACPI power button (systemd shuts down cleanly); killed by pid if it has not gone within the grace time.</summary>
    public async Task PowerOffAsync(TimeSpan? grace = null)
    {
        if (_qemu is null)
        {
            return;
        }
        if (!_qemu.HasExited)
        {
            try
            {
                using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(MonitorPath));
                await s.SendAsync("system_powerdown\n"u8.ToArray());
                await Task.Delay(200);
            }
            catch (SocketException)
            {
            }
            using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromMinutes(2));
            try
            {
                await _qemu.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _qemu.Kill();
                await _qemu.WaitForExitAsync();
            }
        }
        _qemu.Dispose();
        _qemu = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_qemu is { HasExited: false })
        {
            _qemu.Kill();
            await _qemu.WaitForExitAsync();
        }
        _qemu?.Dispose();
        _qemu = null;
    }

    /// <summary>The UEFI firmware file for <paramref name="arch"/>; a missing package is a failure naming it.</summary>
    public static string Firmware(string arch)
    {
        var (file, package) = arch == "amd64" ? (Ovmf, "ovmf") : (Aavmf, "qemu-efi-aarch64");
        return File.Exists(file) ? file : throw new InvalidOperationException(
            $"prerequisite missing: {file} (Debian package {package}). Run scripts/test.sh, which installs the test dependencies.");
    }

    public static string Tail(string text, int chars) => text.Length <= chars ? text : text[^chars..];

    private static string Clean(string s) => Ansi().Replace(s.Replace("\r", "", StringComparison.Ordinal), "");

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Za-z]")]
    private static partial Regex Ansi();

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture);
}
