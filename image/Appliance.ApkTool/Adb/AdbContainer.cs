using System.Buffers.Binary;
using System.IO.Compression;

namespace Appliance.ApkTool.Adb;

/// <summary>One block of an ADB file: its type and where its payload is in the (decompressed) file.</summary>
public readonly record struct AdbBlockSpan(uint Type, int Offset, int Length);

/// <summary>
/// An ADB file split into its blocks: the file header (<c>ADB.</c> + schema), one ADB block, optional SIG blocks,
/// then DATA blocks, in that order (apk-v3(5) "BLOCKS"). A file may be wrapped whole in compression: <c>ADBd</c>
/// (raw deflate, what apk mkpkg writes by default) or <c>ADBc</c> + algorithm and level. Pure: no I/O.
/// </summary>
public sealed class AdbContainer
{
    /// <summary>A file (after decompression) larger than this is refused: a deflate bomb stops here.</summary>
    public const int DefaultMaxLength = 512 * 1024 * 1024;

    private AdbContainer(byte[] file, uint schema, AdbBlockSpan adb, IReadOnlyList<AdbBlockSpan> signatures, IReadOnlyList<AdbBlockSpan> data, string compression)
    {
        File = file;
        Schema = schema;
        Adb = adb;
        Signatures = signatures;
        Data = data;
        Compression = compression;
    }

    /// <summary>The decompressed file.</summary>
    public byte[] File { get; }

    public uint Schema { get; }

    public AdbBlockSpan Adb { get; }

    public IReadOnlyList<AdbBlockSpan> Signatures { get; }

    public IReadOnlyList<AdbBlockSpan> Data { get; }

    /// <summary>none, deflate.</summary>
    public string Compression { get; }

    public ReadOnlyMemory<byte> Payload(AdbBlockSpan block) => File.AsMemory(block.Offset, block.Length);

    public static AdbContainer Parse(ReadOnlySpan<byte> bytes, int maxLength = DefaultMaxLength)
    {
        if (bytes.Length < 4 || bytes[0] != 'A' || bytes[1] != 'D' || bytes[2] != 'B')
        {
            throw new AdbFormatException("not an ADB file: it does not start with 'ADB'");
        }
        byte[] file;
        string compression;
        switch (bytes[3])
        {
            case (byte)'.':
                if (bytes.Length > maxLength)
                {
                    throw new AdbFormatException($"the file is {bytes.Length} bytes, over the {maxLength}-byte limit");
                }
                file = bytes.ToArray();
                compression = "none";
                break;
            case (byte)'d':
                file = Inflate(bytes[4..], maxLength);
                compression = "deflate";
                break;
            case (byte)'c':
                if (bytes.Length < 6)
                {
                    throw new AdbFormatException("truncated compression header: 'ADBc' without its algorithm and level");
                }
                // The compression spec: algorithm (0 none, 1 deflate, 2 zstd) and level.
                (file, compression) = bytes[4] switch
                {
                    0 => (bytes[6..].ToArray(), "none"),
                    1 => (Inflate(bytes[6..], maxLength), "deflate"),
                    2 => throw new AdbFormatException("zstd-compressed ADB files are not read (use deflate or none)"),
                    var a => throw new AdbFormatException($"unknown ADB compression algorithm {a}"),
                };
                break;
            default:
                throw new AdbFormatException($"unknown ADB header 'ADB{(char)bytes[3]}': expected 'ADB.', 'ADBd' or 'ADBc'");
        }
        return Split(file, compression);
    }

    private static AdbContainer Split(byte[] file, string compression)
    {
        if (file.Length < 8)
        {
            throw new AdbFormatException($"truncated file header: {file.Length} bytes, the header is 8");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(file) != AdbBlock.FormatMagic)
        {
            throw new AdbFormatException("not an ADB file: no 'ADB.' magic after decompression");
        }
        var schema = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4));
        AdbBlockSpan? adb = null;
        var signatures = new List<AdbBlockSpan>();
        var data = new List<AdbBlockSpan>();
        long pos = 8;
        while (pos < file.Length)
        {
            if (file.Length - pos < 4)
            {
                throw new AdbFormatException($"truncated block header at offset {pos}: {file.Length - pos} bytes left");
            }
            var word = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)pos));
            uint type;
            long raw, header;
            if (word >> 30 == AdbBlock.Extended)
            {
                if (file.Length - pos < 16)
                {
                    throw new AdbFormatException($"truncated extended block header at offset {pos}");
                }
                type = word & 0x3fff_ffff;
                raw = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan((int)pos + 8)), long.MaxValue);
                header = 16;
            }
            else
            {
                type = word >> 30;
                raw = word & 0x3fff_ffff;
                header = 4;
            }
            if (raw < header)
            {
                throw new AdbFormatException($"the {AdbBlock.Name(type)} block at offset {pos} gives a size of {raw}, smaller than its header");
            }
            if (raw > file.Length - pos)
            {
                throw new AdbFormatException($"truncated {AdbBlock.Name(type)} block at offset {pos}: it says {raw} bytes, {file.Length - pos} are left");
            }
            var span = new AdbBlockSpan(type, (int)(pos + header), (int)(raw - header));
            switch (type)
            {
                case AdbBlock.Adb when adb is null:
                    adb = span;
                    break;
                case AdbBlock.Adb:
                    throw new AdbFormatException($"a second ADB block at offset {pos}");
                case AdbBlock.Signature when adb is not null && data.Count == 0:
                    signatures.Add(span);
                    break;
                case AdbBlock.Data when adb is not null:
                    data.Add(span);
                    break;
                default:
                    throw new AdbFormatException($"a {AdbBlock.Name(type)} block at offset {pos} where it may not be (the order is ADB, SIG..., DATA...)");
            }
            // Padding to 8 may be cut short only at the very end of the file.
            pos = Math.Min(file.Length, pos + raw + AdbBlock.Padding(raw));
        }
        if (adb is null)
        {
            throw new AdbFormatException("no ADB block");
        }
        return new AdbContainer(file, schema, adb.Value, signatures, data, compression);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> deflated, int maxLength)
    {
        using var input = new MemoryStream(deflated.ToArray(), writable: false);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int n;
            while ((n = inflate.Read(buffer)) > 0)
            {
                if (output.Length + n > maxLength)
                {
                    throw new AdbFormatException($"the file inflates to over {maxLength} bytes");
                }
                output.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException e)
        {
            throw new AdbFormatException("the deflate stream is corrupt: " + e.Message, e);
        }
        return output.ToArray();
    }
}
