namespace Appliance.ApkTool.Package;

/// <summary>The scripts' names as apk mkpkg's <c>--script NAME:FILE</c> and apk adbdump spell them.</summary>
public static class ApkScriptNames
{
    private static readonly (ApkScript Script, string Name)[] Names =
    [
        (ApkScript.Trigger, "trigger"), (ApkScript.PreInstall, "pre-install"), (ApkScript.PostInstall, "post-install"),
        (ApkScript.PreDeinstall, "pre-deinstall"), (ApkScript.PostDeinstall, "post-deinstall"),
        (ApkScript.PreUpgrade, "pre-upgrade"), (ApkScript.PostUpgrade, "post-upgrade"),
    ];

    public static string Name(ApkScript script) => Names.First(n => n.Script == script).Name;

    public static bool TryParse(string name, out ApkScript script)
    {
        foreach (var n in Names)
        {
            if (n.Name == name)
            {
                script = n.Script;
                return true;
            }
        }
        script = default;
        return false;
    }
}
