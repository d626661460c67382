namespace Appliance.WireGuard.Uapi;

/// <summary>
/// The last lines a child process wrote, at most <see cref="Capacity"/> characters (the oldest are dropped): what its
/// error message quotes when it exits. Thread-safe (stdout and stderr arrive on different threads).
/// <para>
/// A fixed ring of characters, so a line costs no allocation here: wireguard-go can log a line per failed handshake
/// (~19 a second for 100 unreachable peers), and the StringBuilder this was before made ~5.6 KB/s of garbage in the
/// idle agent (issue #15).
/// </para>
/// </summary>
public sealed class OutputTail
{
    /// <summary>Enough for wireguard-go's start-up errors.</summary>
    public const int DefaultCapacity = 4096;

    private readonly char[] _ring;
    private readonly Lock _lock = new();
    private int _start;
    private int _length;

    public OutputTail(int capacity = DefaultCapacity)
    {
        Capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");
        _ring = new char[capacity];
    }

    public int Capacity { get; }

    /// <summary>Adds one line; drops the oldest text beyond <see cref="Capacity"/>.</summary>
    public void AppendLine(string line)
    {
        lock (_lock)
        {
            Append(line.AsSpan());
            Append("\n");
        }
    }

    private void Append(ReadOnlySpan<char> text)
    {
        // Only the last Capacity characters can stay.
        if (text.Length > Capacity)
        {
            text = text[^Capacity..];
        }
        var end = (_start + _length) % Capacity;
        var first = Math.Min(text.Length, Capacity - end);
        text[..first].CopyTo(_ring.AsSpan(end));
        text[first..].CopyTo(_ring);
        var overflow = _length + text.Length - Capacity;
        if (overflow > 0)
        {
            _start = (_start + overflow) % Capacity;
            _length = Capacity;
        }
        else
        {
            _length += text.Length;
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var first = Math.Min(_length, Capacity - _start);
            return string.Concat(_ring.AsSpan(_start, first), _ring.AsSpan(0, _length - first));
        }
    }
}
