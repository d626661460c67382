namespace Appliance.ApkTool.Package;

/// <summary>The package info a package carries (apk-package(5) "PACKAGE INFO METADATA"), the fields this tool writes.</summary>
public sealed record ApkPackageInfo(
    string Name,
    string Version,
    string Arch,
    string Description,
    IReadOnlyList<string> Depends,
    string License = "",
    string Origin = "",
    string Maintainer = "",
    string Url = "");
