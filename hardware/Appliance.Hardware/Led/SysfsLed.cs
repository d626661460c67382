namespace Appliance.Hardware.Led;

/// <summary>An LED class device in sysfs: <c>/sys/class/leds/&lt;name&gt;/&lt;attribute&gt;</c>.</summary>
public sealed class SysfsLed : ILedDevice
{
    public const string ClassDirectory = "/sys/class/leds";

    private readonly string _directory;

    /// <param name="name">An LED's name as the kernel lists it; it may not leave the LED class directory.</param>
    public SysfsLed(string name, string classDirectory = ClassDirectory)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"not an LED name: '{name}'", nameof(name));
        }
        Name = name;
        _directory = Path.Combine(classDirectory, name);
    }

    public string Name { get; }

    /// <summary>True when the kernel has an LED of this name.</summary>
    public bool Exists => Directory.Exists(_directory);

    public string Read(string attribute) => File.ReadAllText(Path.Combine(_directory, attribute)).Trim();

    public void Write(string attribute, string value)
    {
        // sysfs takes one write per value; no truncation or temporary file.
        using var f = new FileStream(Path.Combine(_directory, attribute), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        f.Write(System.Text.Encoding.ASCII.GetBytes(value));
    }
}
