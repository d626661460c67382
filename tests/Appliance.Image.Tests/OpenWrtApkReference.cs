using System.Text;
using Appliance.ApkTool.Package;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// The inputs of the reference packages in OpenWrtApkReference/ (made by the real apk mkpkg, see its README), as our
/// writer takes them.
/// </summary>
internal static class OpenWrtApkReference
{
    public const ulong MTime = 1764892800;

    public static readonly string Deflated = RepoPaths.Combine("tests", "Appliance.Image.Tests", "OpenWrtApkReference", "demo-1.0.0-r1.apk");

    public static readonly string Uncompressed = RepoPaths.Combine("tests", "Appliance.Image.Tests", "OpenWrtApkReference", "demo-1.0.0-r1.uncompressed.apk");

    public static readonly ApkPackageInfo Info = new("demo", "1.0.0-r1", "x86_64", "A demo package", ["busybox", "libc"]);

    public static readonly string PostInstall = "#!/bin/sh\necho installed \"$@\"\n";

    public static IReadOnlyList<ApkPayloadEntry> Payload() =>
    [
        ApkPayloadEntry.Directory(""),
        ApkPayloadEntry.Directory("etc"),
        ApkPayloadEntry.Directory("etc/config"),
        ApkPayloadEntry.File("etc/config/demo", 0b110_000_000, Encoding.UTF8.GetBytes("config demo 'demo'\n\toption enabled '1'\n")),
        ApkPayloadEntry.Directory("usr"),
        ApkPayloadEntry.Directory("usr/bin"),
        ApkPayloadEntry.File("usr/bin/hello", 0b111_101_101, Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n")),
        ApkPayloadEntry.Symlink("usr/bin/hi", "hello"),
    ];

    public static Dictionary<ApkScript, string> Scripts() => new() { [ApkScript.PostInstall] = PostInstall };
}
