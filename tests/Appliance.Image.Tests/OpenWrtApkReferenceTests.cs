using System.IO.Compression;
using System.Text;
using Appliance.ApkTool.Package;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// Our ADB reader and writer against packages the real apk mkpkg (apk-tools 3.0.6) made from a small tree
/// (OpenWrtApkReference/): the reader takes them, and the writer, given the same tree, writes mkpkg's exact bytes
/// (uncompressed; deflated, the same bytes inside a stream from another zlib).
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class OpenWrtApkReferenceTests
{
    [Fact]
    public void The_reader_takes_apk_mkpkgs_package_with_its_info_paths_modes_hashes_and_script()
    {
        var package = ApkPackageReader.Read(File.ReadAllBytes(OpenWrtApkReference.Deflated));

        Assert.Equal("deflate", package.Compression);
        Assert.Equal(0, package.SignatureBlocks);
        Assert.Equal("demo", package.Info.Name);
        Assert.Equal("1.0.0-r1", package.Info.Version);
        Assert.Equal("x86_64", package.Info.Arch);
        Assert.Equal("A demo package", package.Info.Description);
        Assert.Equal(["busybox", "libc"], package.Info.Depends);
        // mkpkg counts regular files' bytes: 39 + 21; the link is not counted.
        Assert.Equal(60UL, package.InstalledSize);
        Assert.Equal("023a64e11a8dc3ebb24cc0ff907d5765d2828b2e", Convert.ToHexStringLower(package.Identity));
        Assert.Equal(
            """
            d0755 root:root /
            d0755 root:root /etc
            d0755 root:root /etc/config
            -0600 root:root 39 /etc/config/demo sha256:6115544a2e43571344a8131ed4a375527e7c49f7a53fbaa23d885346434b7988
            d0755 root:root /usr
            d0755 root:root /usr/bin
            -0755 root:root 21 /usr/bin/hello sha256:bfdeaeb08cffb6a36438bcd12dda25417e3cdd36f1e7e482a2849d539225288b
            l0777 root:root /usr/bin/hi -> hello

            """, package.Listing());
        var hello = package.Directories.Single(d => d.Path == "usr/bin").Files.Single(f => f.Name == "hello");
        Assert.Equal("#!/bin/sh\necho hello\n", Encoding.UTF8.GetString(hello.Content.Span));
        Assert.Equal(OpenWrtApkReference.MTime, hello.MTime);
        Assert.Equal(OpenWrtApkReference.Scripts(), package.Scripts);
        Assert.Equal(OpenWrtApkReference.Payload().Select(Describe), package.Payload().Select(Describe));
    }

    [Fact]
    public void The_writer_gives_apk_mkpkgs_bytes_for_the_same_tree()
    {
        var ours = ApkPackageWriter.Write(OpenWrtApkReference.Info, OpenWrtApkReference.Payload(), OpenWrtApkReference.Scripts(),
            OpenWrtApkReference.MTime, ApkCompression.None);

        Assert.Equal(Convert.ToHexStringLower(File.ReadAllBytes(OpenWrtApkReference.Uncompressed)), Convert.ToHexStringLower(ours));
    }

    [Fact]
    public void Deflated_the_writer_wraps_the_same_bytes_as_apk_mkpkg_does()
    {
        var ours = ApkPackageWriter.Write(OpenWrtApkReference.Info, OpenWrtApkReference.Payload(), OpenWrtApkReference.Scripts(),
            OpenWrtApkReference.MTime);
        var theirs = File.ReadAllBytes(OpenWrtApkReference.Deflated);

        // "ADBd" and a raw deflate stream of the whole file; zlib and .NET's zlib-ng may pick other codes for it.
        Assert.Equal("ADBd"u8.ToArray(), ours[..4]);
        Assert.Equal(Inflate(theirs[4..]), Inflate(ours[4..]));
        Assert.Equal(File.ReadAllBytes(OpenWrtApkReference.Uncompressed), Inflate(ours[4..]));
    }

    [Fact]
    public void The_same_inputs_give_the_same_bytes()
    {
        byte[] Make() => ApkPackageWriter.Write(OpenWrtApkReference.Info, OpenWrtApkReference.Payload(), OpenWrtApkReference.Scripts(), OpenWrtApkReference.MTime);

        Assert.Equal(Make(), Make());
    }

    private static string Describe(ApkPayloadEntry e) =>
        $"{e.Kind} {e.Path} {Convert.ToString(e.Mode, 8)} {e.Target} {Convert.ToHexStringLower(e.Content.Span)}";

    private static byte[] Inflate(byte[] deflated)
    {
        using var inflate = new DeflateStream(new MemoryStream(deflated), CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }
}
