using System.Globalization;

namespace Appliance.Bench.Mesh;

/// <summary>CPU time and resident memory of one process, read from /proc/&lt;pid&gt;.</summary>
public static class ProcFigures
{
    /// <summary>utime + stime of the process, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Current (VmRSS) and peak (VmHWM) resident set, in MB.</summary>
    public static (double Rss, double Peak) MemoryMb(int pid)
    {
        var status = Status(pid);
        return (status.GetValueOrDefault("VmRSS"), status.GetValueOrDefault("VmHWM"));
    }

    /// <summary>The resident set split as /proc/&lt;pid&gt;/status does: anonymous (heaps, OpenSSL) and file-backed + shared (runtime images, JIT code), in MB.</summary>
    public static (double Anon, double FileAndShared) MemorySplitMb(int pid)
    {
        var status = Status(pid);
        return (status.GetValueOrDefault("RssAnon"), status.GetValueOrDefault("RssFile") + status.GetValueOrDefault("RssShmem"));
    }

    /// <summary>The soft limit on open files of this process (children inherit it), from /proc/self/limits.</summary>
    public static long OpenFilesLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("/proc/self/limits has no 'Max open files' line");
    }

    // The kB lines of /proc/<pid>/status, in MB.
    private static Dictionary<string, double> Status(int pid)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.EndsWith(" kB", StringComparison.Ordinal))
            {
                values[line[..colon]] = long.Parse(line[(colon + 1)..^3].Trim(), CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return values;
    }
}
