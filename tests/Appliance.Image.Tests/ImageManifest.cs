using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Image.Tests;

/// <summary>Checks on the trees' manifest a build wrote (APPLIANCE_IMAGE_MANIFEST: path, type, mode, owner, size, time, link; then sha256 lines).</summary>
public static partial class ImageManifest
{
    /// <summary>
    /// update-initramfs and update-ca-certificates were diverted while the packages went in and each run once at the
    /// end: the real programs are back in place (no diversion left), and what they make is in the root.
    /// </summary>
    public static void AssertDeferredToolsRan(string[] manifest)
    {
        var entries = manifest.Select(l => l.Split('\t')).Where(f => f.Length == 7).ToDictionary(f => f[0], StringComparer.Ordinal);
        foreach (var tool in new[] { "update-initramfs", "update-ca-certificates" })
        {
            Assert.True(entries.TryGetValue($"root/usr/sbin/{tool}", out var e) && e[1] == "f", $"/usr/sbin/{tool} is not the package's file again");
            Assert.False(entries.ContainsKey($"root/usr/sbin/{tool}.distrib"), $"a diversion of /usr/sbin/{tool} was left behind");
        }
        Assert.Contains(entries.Keys, k => InitrdPath().IsMatch(k));
        Assert.True(entries.TryGetValue("root/etc/ssl/certs/ca-certificates.crt", out var bundle)
            && long.Parse(bundle[4], CultureInfo.InvariantCulture) > 100_000, "no CA bundle /etc/ssl/certs/ca-certificates.crt of the Mozilla roots");
        // openssl rehash's subject-hash links next to the certificates' links.
        Assert.True(entries.Keys.Count(k => HashLink().IsMatch(k)) > 100, "fewer than 100 hash links in /etc/ssl/certs");
    }

    [GeneratedRegex(@"^root/boot/initrd\.img-.+$")]
    private static partial Regex InitrdPath();

    [GeneratedRegex(@"^root/etc/ssl/certs/[0-9a-f]{8}\.\d+$")]
    private static partial Regex HashLink();
}
