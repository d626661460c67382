using System.Globalization;
using Appliance.ApkTool.Package;

namespace Appliance.ApkTool;

/// <summary>
/// <c>appliance-apk mkpkg</c>'s options, parsed and checked before anything is read or written: the same option names
/// as apk mkpkg (<c>--info KEY:VALUE</c>, <c>--script NAME:FILE</c>, <c>--files DIR</c>, <c>--output FILE</c>).
/// </summary>
public sealed record ApkCommandLine(ApkPackageInfo Info, string FilesDir, string Output, IReadOnlyDictionary<ApkScript, string> ScriptFiles, ApkCompression Compression, ulong MTime)
{
    public const string Usage = """
        usage: appliance-apk mkpkg --files DIR --output FILE --info name:N --info version:V --info arch:A
                                   [--info description:T] [--info depends:'A B'] [--info license|origin|maintainer|url:T]
                                   [--script post-install|pre-deinstall|...:FILE]... [--compression deflate|none]
               appliance-apk list FILE
        Every file's time is SOURCE_DATE_EPOCH (required for mkpkg); owners are root.
        """;

    /// <summary>Parses mkpkg's arguments (after the word mkpkg); throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static ApkCommandLine Parse(IReadOnlyList<string> args, string? sourceDateEpoch)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        var scripts = new Dictionary<ApkScript, string>();
        string? files = null, output = null;
        var compression = ApkCompression.Deflate;
        for (var i = 0; i < args.Count; i++)
        {
            var option = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{option} needs a value");
            }
            var value = args[++i];
            switch (option)
            {
                case "--files": files = value; break;
                case "--output": output = value; break;
                case "--compression":
                    compression = value switch
                    {
                        "deflate" => ApkCompression.Deflate,
                        "none" => ApkCompression.None,
                        _ => throw new ArgumentException($"--compression '{value}': deflate or none"),
                    };
                    break;
                case "--info":
                    var (key, text) = Split(option, value);
                    if (key is not ("name" or "version" or "arch" or "description" or "depends" or "license" or "origin" or "maintainer" or "url"))
                    {
                        throw new ArgumentException($"--info '{key}': one of name, version, arch, description, depends, license, origin, maintainer, url");
                    }
                    if (!info.TryAdd(key, text))
                    {
                        throw new ArgumentException($"--info {key} given twice");
                    }
                    break;
                case "--script":
                    var (name, file) = Split(option, value);
                    if (!ApkScriptNames.TryParse(name, out var script))
                    {
                        throw new ArgumentException($"--script '{name}': not an apk script (pre-install, post-install, pre-deinstall, post-deinstall, pre-upgrade, post-upgrade, trigger)");
                    }
                    if (!scripts.TryAdd(script, file))
                    {
                        throw new ArgumentException($"--script {name} given twice");
                    }
                    break;
                default:
                    throw new ArgumentException($"unknown option {option}");
            }
        }
        if (files is null || output is null)
        {
            throw new ArgumentException("--files and --output are required");
        }
        foreach (var required in new[] { "name", "version", "arch" })
        {
            if (!info.ContainsKey(required))
            {
                throw new ArgumentException($"--info {required}:... is required");
            }
        }
        if (!ulong.TryParse(sourceDateEpoch, NumberStyles.None, CultureInfo.InvariantCulture, out var mtime))
        {
            throw new ArgumentException($"SOURCE_DATE_EPOCH '{sourceDateEpoch}' is not a time in seconds; it sets every file's time");
        }
        string Get(string key) => info.TryGetValue(key, out var v) ? v : "";
        var pkg = new ApkPackageInfo(info["name"], info["version"], info["arch"], Get("description"),
            Get("depends").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries), Get("license"), Get("origin"), Get("maintainer"), Get("url"));
        ApkPackageRules.CheckInfo(pkg);
        return new ApkCommandLine(pkg, files, output, scripts, compression, mtime);
    }

    private static (string Key, string Value) Split(string option, string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"{option} '{value}': KEY:VALUE");
        }
        return (value[..colon], value[(colon + 1)..]);
    }
}
