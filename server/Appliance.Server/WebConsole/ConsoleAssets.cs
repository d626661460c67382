using System.Reflection;
using System.Security.Cryptography;

namespace Appliance.Server.WebConsole;

/// <summary>
/// The console's files (<c>WebConsole/Assets/*</c>, embedded in the binary as resources): read once, each with its content
/// type and a strong ETag, so a browser revalidates with a 304 instead of downloading them again.
/// </summary>
public sealed class ConsoleAssets
{
    private readonly Dictionary<string, ConsoleAsset> _assets = new(StringComparer.Ordinal);

    public ConsoleAssets()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        const string prefix = "console/";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var name = resource[prefix.Length..];
            _assets[name] = new ConsoleAsset(name, bytes, ContentType(name), "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }
    }

    public bool TryGet(string name, out ConsoleAsset asset) => _assets.TryGetValue(name, out asset!);

    public ConsoleAsset Get(string name) =>
        _assets.TryGetValue(name, out var a) ? a : throw new InvalidOperationException($"the console asset '{name}' is not embedded");

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
