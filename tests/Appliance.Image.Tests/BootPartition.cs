using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>Reads and writes the APPLBOOT partition (partition 1, FAT, at 1 MiB) of an image file with mtools, as a PC would.</summary>
public static class BootPartition
{
    private const long Offset = 1024 * 1024;

    private static string Image(string image) => $"{image}@@{Offset}";

    private static readonly Dictionary<string, string> Env = new() { ["MTOOLS_SKIP_CHECK"] = "1" };

    /// <summary>The file's text, or null when it is not there.</summary>
    public static async Task<string?> ReadAsync(string image, string path)
    {
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("mtype"), ["-i", Image(image), "::" + path], env: Env, timeout: TimeSpan.FromSeconds(30));
        return r.ExitCode == 0 ? r.StdOut : null;
    }

    public static async Task<string> LabelAsync(string image)
    {
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("mlabel"), ["-i", Image(image), "-s", "::"], env: Env, timeout: TimeSpan.FromSeconds(30));
        // mlabel -s prints "Volume label is APPLBOOT" (and "Volume has no label" without one).
        var line = r.EnsureSuccess("mlabel -s").StdOut.Trim();
        const string prefix = "Volume label is ";
        return line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].Trim() : "";
    }

    public static async Task WriteAsync(string image, string path, string text)
    {
        using var tmp = new TempDirectory("appliance-fat");
        var local = tmp.Combine("file");
        await File.WriteAllTextAsync(local, text);
        (await ProcessRunner.RunAsync(Prerequisites.RequireProgram("mcopy"), ["-o", "-i", Image(image), local, "::" + path], env: Env, timeout: TimeSpan.FromSeconds(30)))
            .EnsureSuccess("mcopy " + path);
    }
}
