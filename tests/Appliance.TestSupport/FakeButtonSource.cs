using System.Collections.Concurrent;
using Appliance.Hardware.Button;

namespace Appliance.TestSupport;

/// <summary>A button whose edges a test pushes; <see cref="WaitForEdge"/> blocks like a real device until one comes.</summary>
public sealed class FakeButtonSource : IButtonSource
{
    private readonly BlockingCollection<ButtonEdge> _edges = [];

    public string Description => "fake button";

    /// <summary>When set, the next wait throws it (a device that went away).</summary>
    public IOException? Failure { get; set; }

    public void Push(bool pressed, DateTimeOffset at) => _edges.Add(new ButtonEdge(pressed, at));

    public ButtonEdge? WaitForEdge(TimeSpan timeout)
    {
        if (Failure is { } f)
        {
            throw f;
        }
        return _edges.TryTake(out var e, timeout) ? e : null;
    }

    public void Dispose() => _edges.Dispose();
}
