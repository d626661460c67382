using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Appliance.ApkTool.Adb;
using Appliance.ApkTool.Package;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// The ADB codec of image/Appliance.ApkTool: values as apk-v3(5) lays them out (golden bytes), and every kind of bad
/// file or bad input refused with an error that names what was wrong.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class OpenWrtApkCodecTests
{
    [Fact]
    public void Values_are_laid_out_aligned_and_deduplicated_as_apk_does()
    {
        var w = new AdbWriter();
        // Below 2^28 an integer is the word itself (type 1); above it, a 4-aligned 32-bit value in the block (type 2).
        Assert.Equal(0x1000_01edu, w.Int(0x1ed));
        Assert.Equal(0x1000_0000u, w.Int(0));
        var time = w.Int(1764892800);
        Assert.Equal(0x2000_0008u, time);
        Assert.Equal(time, w.Int(1764892800));
        // A blob: an 8-bit length and the bytes (type 8); the same bytes again are the same value.
        var root = w.Blob("root"u8);
        Assert.Equal(0x8000_000cu, root);
        Assert.Equal(root, w.Blob("root"u8));
        Assert.Equal(AdbType.Null, w.Blob([]));
        // A 300-byte blob has a 16-bit length, so it starts on an even offset (type 9).
        Assert.Equal(0x9000_0012u, w.Blob(new byte[300]));
        // An object: its slot count, then the slots, 4-aligned; trailing nulls dropped, an empty one is null.
        Assert.Equal(0xe000_0140u, w.Object([0, root, AdbType.Null, time, AdbType.Null]));
        Assert.Equal(AdbType.Null, w.Object([0, AdbType.Null]));
        w.SetRoot(0xe000_0140);

        // hdr (compat 0, ver 0, reserved; root) | 1764892800 | 04 "root" | pad to 2 | 2c01 + 300 zeros | [4, root, null, time]
        var expected = "00000000" + "400100e0" + "80203269" + "04726f6f74" + "00" + "2c01" + new string('0', 600)
            + "04000000" + "0c000080" + "00000000" + "08000020";
        Assert.Equal(expected, Convert.ToHexStringLower(w.Block));

        var r = new AdbReader(w.Block.ToArray());
        Assert.Equal(0xe000_0140u, r.Root);
        var slots = r.ReadSlots(r.Root, "root");
        Assert.Equal("root", Encoding.UTF8.GetString(r.ReadBlob(slots[1], "user").Span));
        Assert.Equal(1764892800UL, r.ReadInt(slots[3], "mtime"));
        Assert.Equal(AdbType.Null, AdbReader.Slot(slots, 4));
    }

    [Fact]
    public void A_64_bit_integer_is_stored_in_the_block()
    {
        var w = new AdbWriter();
        var big = w.Int(0x1_0000_0001);
        Assert.Equal(AdbType.Int64, AdbType.TypeOf(big));
        Assert.Equal(0x1_0000_0001UL, new AdbReader(w.Block.ToArray()).ReadInt(big, "big"));
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> BadFiles => new()
    {
        { "empty", _ => [], "not an ADB file: it does not start with 'ADB'" },
        { "a tar.gz", _ => [0x1f, 0x8b, 8, 0], "not an ADB file" },
        { "unknown header", f => [.. "ADBx"u8, .. f[4..]], "unknown ADB header 'ADBx'" },
        { "truncated file header", f => f[..6], "truncated file header: 6 bytes" },
        { "wrong schema", f => Patch(f, 4, "indx"u8), "schema 0x78646e69 is not a package" },
        { "truncated ADB block", f => f[..100], "truncated ADB block at offset 8: it says 608 bytes, 92 are left" },
        { "truncated DATA block", f => f[..^20], "truncated DATA block" },
        { "block smaller than its header", f => Patch(f, 8, [2, 0, 0, 0]), "gives a size of 2, smaller than its header" },
        { "no ADB block first", f => Patch(f, 8, Word(0x8000_0000u | 608)), "a DATA block at offset 8 where it may not be" },
        { "second ADB block", f => Patch(f, 0x268, Word(0x33)), "a second ADB block at offset 616" },
        { "compat version 1", f => Patch(f, 12, [1]), "compat version is 1" },
        { "root points outside the block", f => Patch(f, 16, Word(0xe000_4000u)), "package: value 0xe0004000 (type 0xe, offset 16384) points outside the 604-byte ADB block" },
        { "root is a blob", f => Patch(f, 16, Word(0x8000_0008u)), "package: expected an object or array, found value 0x80000008" },
        { "object with slot count 0", f => Patch(f, 12 + 0x24c, Word(0)), "package: an object with a slot count of 0" },
        { "slots run past the block", f => Patch(f, 12 + 0x24c, Word(0x1000)), "package: 4096 slots at offset 588 run past the end of the 604-byte ADB block" },
        { "identity changed", f => Patch(f, 12 + 0x1b6, [0xff]), "info.hashes is not the SHA-256 of the ADB block" },
        { "description changed", f => Patch(f, 12 + 0x23, "B"u8), "info.hashes is not the SHA-256 of the ADB block" },
        { "file bytes changed", f => Patch(f, 0x278, "C"u8), "the DATA block for '/etc/config/demo' does not match the file's SHA-256" },
        { "DATA for an unlisted file", f => Patch(f, 0x26c, Word(9)), "a DATA block for directory 9, file 1, which the package does not list" },
        { "DATA for a link", f => Patch(f, 0x2a4, [.. Word(5), .. Word(2)]), "a DATA block for '/usr/bin/hi', which is a link" },
        { "DATA twice", f => Patch(f, 0x2a4, [.. Word(3), .. Word(1)]), "a second DATA block for '/etc/config/demo'" },
        { "a file without its DATA", f => f[..0x2a0], "no DATA block for '/usr/bin/hello' (21 bytes)" },
        { "zstd", f => [.. "ADBc"u8, 2, 1, .. f], "zstd-compressed ADB files are not read" },
        { "corrupt deflate", f => [.. "ADBd"u8, 0xff, 0xff, 0xff, 0xff], "the deflate stream is corrupt" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_refused_naming_what_is_wrong(string row, Func<byte[], byte[]> damage, string message)
    {
        var bad = damage(File.ReadAllBytes(OpenWrtApkReference.Uncompressed));

        var e = Assert.Throws<AdbFormatException>(() => ApkPackageReader.Read(bad));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{row}: '{e.Message}' does not say '{message}'");
    }

    [Fact]
    public void A_file_that_inflates_past_the_limit_is_refused()
    {
        using var packed = new MemoryStream();
        packed.Write("ADBd"u8);
        using (var deflate = new DeflateStream(packed, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(new byte[4 * 1024 * 1024]);
        }

        var e = Assert.Throws<AdbFormatException>(() => ApkPackageReader.Read(packed.ToArray(), maxLength: 1024 * 1024));
        Assert.Equal("the file inflates to over 1048576 bytes", e.Message);
    }

    [Fact]
    public void A_file_over_the_limit_is_refused_before_it_is_read()
    {
        var e = Assert.Throws<AdbFormatException>(() => ApkPackageReader.Read(File.ReadAllBytes(OpenWrtApkReference.Uncompressed), maxLength: 100));
        Assert.Equal("the file is 712 bytes, over the 100-byte limit", e.Message);
    }

    public static TheoryData<string, Func<ApkPackageInfo, ApkPackageInfo>, Func<IReadOnlyList<ApkPayloadEntry>, IReadOnlyList<ApkPayloadEntry>>, string> BadInputs => new()
    {
        { "ipk-style version", i => i with { Version = "0.1.0~git20261205.1a2b3c" }, p => p, "version '0.1.0~git20261205.1a2b3c' is not an apk version" },
        { "name with a space", i => i with { Name = "my agent" }, p => p, "name 'my agent': 1 to 128 of" },
        { "name starting with '-'", i => i with { Name = "-x" }, p => p, "name '-x'" },
        { "arch with a slash", i => i with { Arch = "x86_64/../x" }, p => p, "arch 'x86_64/../x'" },
        { "description over lines", i => i with { Description = "a\nb" }, p => p, "description: one line" },
        { "dependency with a shell character", i => i with { Depends = ["libc;rm"] }, p => p, "depends 'libc;rm'" },
        { "absolute path", i => i, p => [.. p, ApkPayloadEntry.File("/etc/passwd", 0b110_100_100, new byte[1])], "payload path '/etc/passwd'" },
        { "path with ..", i => i, p => [.. p, ApkPayloadEntry.File("usr/../../etc/shadow", 0b110_100_100, new byte[1])], "payload path 'usr/../../etc/shadow'" },
        { "file without its directory", i => i, p => [.. p, ApkPayloadEntry.File("opt/x", 0b110_100_100, new byte[1])], "payload path 'opt/x': its directory 'opt' is not in the payload" },
        { "file inside a file", i => i, p => [.. p, ApkPayloadEntry.File("usr/bin/hello/x", 0b110_100_100, new byte[1])], "its directory 'usr/bin/hello' is not in the payload" },
        { "path twice", i => i, p => [.. p, ApkPayloadEntry.Directory("usr/bin")], "payload path 'usr/bin' appears twice" },
        { "mode past 7777", i => i, p => [.. p, ApkPayloadEntry.File("usr/x", 0x1000, new byte[1])], "payload path 'usr/x': mode 10000 is not a permission mode" },
        { "long link target", i => i, p => [.. p, ApkPayloadEntry.Symlink("usr/l", new string('a', 1022))], "payload link 'usr/l': its target must be 1 to 1021 bytes" },
        { "empty link target", i => i, p => [.. p, ApkPayloadEntry.Symlink("usr/l", "")], "payload link 'usr/l'" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_inputs_are_refused_before_anything_is_written(string row, Func<ApkPackageInfo, ApkPackageInfo> info,
        Func<IReadOnlyList<ApkPayloadEntry>, IReadOnlyList<ApkPayloadEntry>> payload, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ApkPackageWriter.Write(info(OpenWrtApkReference.Info), payload(OpenWrtApkReference.Payload()),
            OpenWrtApkReference.Scripts(), OpenWrtApkReference.MTime));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{row}: '{e.Message}' does not say '{message}'");
    }

    [Theory]
    [InlineData("1.0.0-r1")]
    [InlineData("0.1.0_git20261205~1a2b3c4d5-r0")]
    [InlineData("2.3a_rc1_p2")]
    [InlineData("25.12.0")]
    public void Apk_versions_are_taken(string version) => Assert.True(ApkPackageRules.IsValidVersion(version));

    [Theory]
    [InlineData("")]
    [InlineData("v1.0")]
    [InlineData("1.0-1")]
    [InlineData("1.0~G1")]
    [InlineData("1.0_beta_x")]
    public void Other_versions_are_not(string version) => Assert.False(ApkPackageRules.IsValidVersion(version));

    [Fact]
    public void The_command_line_refuses_a_bad_option_naming_it()
    {
        string Error(params string[] args) => Assert.Throws<ArgumentException>(() => ApkTool.ApkCommandLine.Parse(args, "1764892800")).Message;

        Assert.Equal("--files and --output are required", Error("--info", "name:x"));
        Assert.Equal("--info 'size': one of name, version, arch, description, depends, license, origin, maintainer, url", Error("--info", "size:1"));
        Assert.Equal("--script 'postinst': not an apk script (pre-install, post-install, pre-deinstall, post-deinstall, pre-upgrade, post-upgrade, trigger)",
            Error("--script", "postinst:x"));
        Assert.Equal("--info version:... is required", Error("--files", "d", "--output", "o", "--info", "name:x", "--info", "arch:x86_64"));
        Assert.Equal("--compression 'zstd': deflate or none", Error("--compression", "zstd"));
        Assert.Equal("--output needs a value", Error("--output"));
        Assert.StartsWith("SOURCE_DATE_EPOCH '' is not a time", Assert.Throws<ArgumentException>(() => ApkTool.ApkCommandLine.Parse(
            ["--files", "d", "--output", "o", "--info", "name:x", "--info", "version:1", "--info", "arch:x86_64"], "")).Message, StringComparison.Ordinal);
    }

    private static byte[] Word(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    private static byte[] Patch(byte[] file, int at, ReadOnlySpan<byte> bytes)
    {
        var copy = file.ToArray();
        bytes.CopyTo(copy.AsSpan(at));
        return copy;
    }
}
