using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.ApkTool.Package;

/// <summary>
/// What a package's info and payload may hold (apk-package(5): names, versions; apk mkpkg's own limits), checked
/// before anything is written; the exception names the field or path and what is wrong with it.
/// </summary>
public static partial class ApkPackageRules
{
    public const int MaxNameLength = 128;
    public const int MaxVersionLength = 64;
    public const int MaxTextLength = 1024;
    public const int MaxDepends = 64;
    public const int MaxEntries = 100_000;
    public const int MaxPathLength = 4095;

    /// <summary>apk mkpkg reads a link target into a 1022-byte buffer behind the 2-byte type.</summary>
    public const int MaxLinkTarget = 1021;

    /// <summary>A file goes in one plain DATA block (30-bit size, with its 4-byte header and 8-byte index).</summary>
    public const long MaxFileSize = Adb.AdbBlock.MaxPlainPayload - 8;

    public const int MaxScriptLength = 256 * 1024;

    // apk-package(5): a name is [a-zA-Z0-9._+-], starting with a letter or digit.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._+-]*$")]
    private static partial Regex NamePattern();

    // apk-package(5): number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}.
    [GeneratedRegex("^[0-9]+(\\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex ArchPattern();

    public static bool IsValidVersion(string version) => version.Length <= MaxVersionLength && VersionPattern().IsMatch(version);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is wrong.</summary>
    public static void CheckInfo(ApkPackageInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        CheckName("name", info.Name);
        if (!IsValidVersion(info.Version))
        {
            throw new ArgumentException($"version '{info.Version}' is not an apk version (number{{.number}}{{letter}}{{_suffix{{number}}}}{{~hexhash}}{{-r#}}, e.g. 1.2.3-r0)");
        }
        if (!ArchPattern().IsMatch(info.Arch))
        {
            throw new ArgumentException($"arch '{info.Arch}': 1 to 64 of a-z, 0-9, '_' and '-'");
        }
        CheckText("description", info.Description);
        CheckText("license", info.License);
        CheckText("origin", info.Origin);
        CheckText("maintainer", info.Maintainer);
        CheckText("url", info.Url);
        if (info.Depends.Count > MaxDepends)
        {
            throw new ArgumentException($"depends: {info.Depends.Count} dependencies, at most {MaxDepends}");
        }
        foreach (var dep in info.Depends)
        {
            CheckName("depends", dep);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first payload entry that is wrong.</summary>
    public static void CheckPayload(IReadOnlyList<ApkPayloadEntry> payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Count > MaxEntries)
        {
            throw new ArgumentException($"payload: {payload.Count} entries, at most {MaxEntries}");
        }
        var kinds = new Dictionary<string, ApkEntryKind>(StringComparer.Ordinal) { [""] = ApkEntryKind.Directory };
        foreach (var e in payload)
        {
            if (e.Path.Length == 0 && e.Kind == ApkEntryKind.Directory)
            {
                continue;
            }
            CheckPath(e.Path);
            if (!kinds.TryAdd(e.Path, e.Kind))
            {
                throw new ArgumentException($"payload path '{e.Path}' appears twice");
            }
        }
        foreach (var e in payload)
        {
            if (e.Path.Length > 0 && !(kinds.TryGetValue(e.Parent, out var parent) && parent == ApkEntryKind.Directory))
            {
                throw new ArgumentException($"payload path '{e.Path}': its directory '{e.Parent}' is not in the payload");
            }
            if (e.Mode is < 0 or > 0b111_111_111_111)
            {
                throw new ArgumentException($"payload path '{e.Path}': mode {Convert.ToString(e.Mode, 8)} is not a permission mode (0 to 7777)");
            }
            switch (e.Kind)
            {
                case ApkEntryKind.File when e.Content.Length > MaxFileSize:
                    throw new ArgumentException($"payload file '{e.Path}' is {e.Content.Length} bytes, over {MaxFileSize}");
                case ApkEntryKind.Symlink:
                    var target = e.Target ?? "";
                    var length = Encoding.UTF8.GetByteCount(target);
                    if (length == 0 || length > MaxLinkTarget || target.Contains('\0', StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"payload link '{e.Path}': its target must be 1 to {MaxLinkTarget} bytes without NUL");
                    }
                    break;
            }
        }
    }

    public static void CheckScripts(IReadOnlyDictionary<ApkScript, string> scripts)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        foreach (var (script, text) in scripts)
        {
            if (!Enum.IsDefined(script))
            {
                throw new ArgumentException($"script {(int)script} is not an apk script");
            }
            if (Encoding.UTF8.GetByteCount(text) > MaxScriptLength)
            {
                throw new ArgumentException($"script {ApkScriptNames.Name(script)} is over {MaxScriptLength} bytes");
            }
        }
    }

    private static void CheckName(string field, string value)
    {
        if (value.Length > MaxNameLength || !NamePattern().IsMatch(value))
        {
            throw new ArgumentException($"{field} '{value}': 1 to {MaxNameLength} of a-z, A-Z, 0-9, '.', '_', '+' and '-', starting with a letter or digit");
        }
    }

    private static void CheckText(string field, string value)
    {
        if (value.Length > MaxTextLength || value.Any(char.IsControl))
        {
            throw new ArgumentException($"{field}: one line of at most {MaxTextLength} characters, no control characters");
        }
    }

    private static void CheckPath(string path)
    {
        if (path.Length > MaxPathLength || path.StartsWith('/') || path.EndsWith('/') || path.Contains('\0', StringComparison.Ordinal)
            || path.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new ArgumentException($"payload path '{path}': relative, at most {MaxPathLength} characters, no empty, '.' or '..' parts, no NUL");
        }
    }
}
