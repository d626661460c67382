namespace Appliance.ApkTool.Package;

/// <summary>How the whole package file is wrapped: deflate (<c>ADBd</c>, apk mkpkg's default) or not at all (<c>ADB.</c>).</summary>
public enum ApkCompression
{
    Deflate,
    None,
}
