using System.Diagnostics;
using System.Text;

namespace Appliance.TestSupport;

/// <summary>
/// Everything a started process writes to stdout and stderr, kept line by line for failure messages and for tests
/// that watch a long-running program. Thread-safe: the lines arrive on the runtime's reader threads.
/// </summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();
    private readonly List<(long At, string Line)> _lines = [];

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>
    /// When the first line that <paramref name="match"/> accepts was read (a <see cref="Stopwatch.GetTimestamp"/>), or
    /// null if none has been. A test that times a program's reaction uses this rather than the moment its own polling
    /// loop saw the line, which a loaded machine delays.
    /// </summary>
    public long? FirstArrival(Func<string, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        lock (_text)
        {
            foreach (var (at, line) in _lines)
            {
                if (match(line))
                {
                    return at;
                }
            }
        }
        return null;
    }

    /// <summary>Starts reading both redirected streams of <paramref name="process"/> into this collector (a restarted program's runs follow one another).</summary>
    public void Attach(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>A new collector reading <paramref name="process"/>.</summary>
    public static ProcessOutput Capture(Process process)
    {
        var output = new ProcessOutput();
        output.Attach(process);
        return output;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        var at = Stopwatch.GetTimestamp();
        lock (_text)
        {
            _text.AppendLine(line);
            _lines.Add((at, line));
        }
    }
}
