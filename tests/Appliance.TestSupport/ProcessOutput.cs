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
        lock (_text)
        {
            _text.AppendLine(line);
        }
    }
}
