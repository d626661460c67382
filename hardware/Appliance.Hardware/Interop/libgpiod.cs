using System.Runtime.InteropServices;

#pragma warning disable CS8981 // the native library's name, as Libc

namespace Appliance.Hardware.Interop;

/// <summary>
/// Whether the OS has libgpiod 1.x (<c>libgpiod.so.2</c>, what System.Device.Gpio's <c>LibGpiodDriver</c> binds to)
/// or 2.x (<c>libgpiod.so.3</c>), found the way the driver's P/Invokes find it (dlopen by soname).
/// </summary>
internal static class libgpiod
{
    public const string V1Library = "libgpiod.so.2";
    public const string V2Library = "libgpiod.so.3";

    /// <summary>
    /// Loads <paramref name="soname"/> and reads <c>gpiod_version_string()</c> (both major versions have it); false
    /// when the library or the symbol is missing. The handle stays loaded: the driver's P/Invokes resolve to it.
    /// </summary>
    public static unsafe bool TryVersion(string soname, out string version)
    {
        version = "";
        if (!NativeLibrary.TryLoad(soname, out var handle) || !NativeLibrary.TryGetExport(handle, "gpiod_version_string", out var export))
        {
            return false;
        }
        var text = ((delegate* unmanaged<nint>)export)();
        version = Marshal.PtrToStringUTF8(text) is { Length: > 0 and <= 32 } v ? v : "unknown";
        return true;
    }

    /// <summary>Whether <paramref name="soname"/> loads (it is unloaded again: nothing here binds to it).</summary>
    public static bool IsPresent(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out var handle))
        {
            return false;
        }
        NativeLibrary.Free(handle);
        return true;
    }
}
