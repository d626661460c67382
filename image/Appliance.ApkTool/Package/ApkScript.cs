namespace Appliance.ApkTool.Package;

/// <summary>The package scripts apk runs (apk-package(5) "scripts"), numbered as their slots in the scripts object.</summary>
public enum ApkScript
{
    Trigger = 1,
    PreInstall = 2,
    PostInstall = 3,
    PreDeinstall = 4,
    PostDeinstall = 5,
    PreUpgrade = 6,
    PostUpgrade = 7,
}
