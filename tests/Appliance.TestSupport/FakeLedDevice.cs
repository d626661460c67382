using Appliance.Hardware.Led;

namespace Appliance.TestSupport;

/// <summary>An LED class device in memory: attributes like sysfs's, every write recorded in order.</summary>
public sealed class FakeLedDevice(string name = "status", int maxBrightness = 255, string triggers = "[none] timer heartbeat default-on") : ILedDevice
{
    private readonly Dictionary<string, string> _attributes = new(StringComparer.Ordinal)
    {
        ["max_brightness"] = maxBrightness.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["brightness"] = "0",
        ["trigger"] = triggers,
    };

    public string Name => name;

    public List<LedWrite> Writes { get; } = [];

    /// <summary>When set, every read and write throws it (a vanished or read-only LED).</summary>
    public Exception? Failure { get; set; }

    public string Read(string attribute)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        return _attributes.TryGetValue(attribute, out var v) ? v : throw new FileNotFoundException($"no attribute {attribute}");
    }

    public void Write(string attribute, string value)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        Writes.Add(new LedWrite(attribute, value));
        if (attribute == "trigger")
        {
            var (available, _) = LedPlan.ParseTriggers(_attributes["trigger"]);
            if (!available.Contains(value))
            {
                throw new IOException($"invalid trigger {value}");
            }
            _attributes["trigger"] = string.Join(' ', available.Select(t => t == value ? "[" + t + "]" : t));
        }
        else
        {
            _attributes[attribute] = value;
        }
    }

    /// <summary>The trigger the kernel would now show as active.</summary>
    public string? ActiveTrigger => LedPlan.ParseTriggers(_attributes["trigger"]).Active;

    public string Attribute(string attribute) => _attributes.GetValueOrDefault(attribute) ?? "";
}
