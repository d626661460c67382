using System.Text;

namespace Appliance.WireGuard.Uapi;

/// <summary>
/// The last lines a child process wrote, at most <see cref="Capacity"/> characters (the oldest are dropped): what its
/// error message quotes when it exits. Thread-safe (stdout and stderr arrive on different threads).
/// </summary>
public sealed class OutputTail(int capacity = OutputTail.DefaultCapacity)
{
    /// <summary>Enough for wireguard-go's start-up errors.</summary>
    public const int DefaultCapacity = 4096;

    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    /// <summary>Adds one line; drops the oldest text beyond <see cref="Capacity"/>.</summary>
    public void AppendLine(string line)
    {
        lock (_lock)
        {
            _text.Append(line).Append('\n');
            if (_text.Length > Capacity)
            {
                _text.Remove(0, _text.Length - Capacity);
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return _text.ToString();
        }
    }
}
