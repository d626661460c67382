namespace Appliance.Hardware.Led;

/// <summary>One LED class device (<c>/sys/class/leds/&lt;name&gt;</c>): read and write its attribute files.</summary>
public interface ILedDevice
{
    /// <summary>The LED's name (<c>status</c>, <c>input3::capslock</c>).</summary>
    string Name { get; }

    /// <summary>Reads an attribute (<c>max_brightness</c>, <c>trigger</c>...), trimmed.</summary>
    string Read(string attribute);

    void Write(string attribute, string value);
}
