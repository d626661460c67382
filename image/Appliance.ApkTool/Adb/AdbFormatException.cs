namespace Appliance.ApkTool.Adb;

/// <summary>An ADB file (an apk-tools 3 package) that is malformed, truncated or over a bound; the message says which.</summary>
public sealed class AdbFormatException : Exception
{
    public AdbFormatException(string message)
        : base(message)
    {
    }

    public AdbFormatException()
    {
    }

    public AdbFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
